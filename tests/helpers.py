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
