"""Small helpers for tests: fixture loading and the shipped manifest."""
from __future__ import annotations

import json
from pathlib import Path

from connector.config import DEFAULT_MAPPING
from connector.schemas.manifest import load_manifest

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(provider: str, name: str) -> dict:
    return json.loads((FIXTURES / provider / f"{name}.json").read_text(encoding="utf-8"))


def default_manifest():
    return load_manifest(str(DEFAULT_MAPPING))


def with_consent(body: dict, val: str | None = "y", path: str = "personalize.content") -> dict:
    """A deep copy of a profile response whose every entity carries ``consents.<path>.val`` (None: removed)."""
    import copy

    body = copy.deepcopy(body)
    for doc in body.values():
        node = doc["entity"].setdefault("consents", {})
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        if val is None:
            node.pop(last, None)
        else:
            node[last] = {"val": val}
    return body


def target(text: str):
    """A manifest write target as the provider whose grammar it is parses it (Zendesk, else Salesforce)."""
    from connector import providers

    for name in ("zendesk", "salesforce"):
        try:
            return providers.get(name).parse_target(text)
        except ValueError:
            continue
    raise ValueError(text)


def wires(provider: str = "zendesk") -> dict:
    """The note and tags targets a provider's writeback section gets (for Writebacks built by hand)."""
    from connector import providers
    from connector.core import targets

    p = providers.get(provider)
    return {"note_target": targets.note(wire=p.note_wire), "tags_target": targets.record_tags(wire=p.tags_wire)}
