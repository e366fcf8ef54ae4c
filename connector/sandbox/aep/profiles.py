"""Profile and event documents of the AEP emulator as Profile Access returns them (§2.2): the seed
entity with a test's patches, projected to the requested ``fields``, identities with lower-case
namespace codes; and the filters of an event lookup (time window, ``property`` expressions).
"""
from __future__ import annotations

from connector.sandbox import seed
from connector.sandbox.aep.state import AepWorld


def profile_doc(world: AepWorld, index: int, fields: list[str]) -> dict:
    c = seed.customer(index, world.customers)
    entity = _patched(seed.profile_entity(index, world.customers), world.profile_patches.get(index))
    projected = project(entity, fields) if fields else dict(entity)
    if "identities" in fields or not fields:
        projected["identities"] = [  # §2.2: namespace codes come back lower-case
            {"id": v["id"], "namespace": {"code": ns.lower()}, **({"primary": True} if v.get("primary") else {})}
            for ns, values in entity["identityMap"].items() for v in values
        ]
    return {c.entity_id: {"entityId": c.entity_id, "sources": ["1000000000"], "entity": projected,
                          "lastModifiedAt": seed.last_modified(index)}}


def _patched(entity: dict, patch: dict | None) -> dict:
    """The seed entity with a test's changes merged in (a None value removes the key)."""
    if not patch:
        return entity
    merged = dict(entity)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _patched(merged[key], value)
        else:
            merged[key] = value
    return merged


def event_matches(doc: dict, start: str | None, end: str | None, properties: list[str]) -> bool:
    if start and doc["timestamp"] < int(start):
        return False
    if end and doc["timestamp"] >= int(end):
        return False
    for expression in properties:
        key, _, wanted = expression.partition("=")
        if _get(doc["entity"], key.rstrip("!")) != wanted.strip('"'):
            return False
    return True


def project(entity: dict, fields: list[str]) -> dict:
    out: dict = {}
    for path in fields:
        value = _get(entity, path)
        if value is None:
            continue
        target = out
        parts = path.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


def _get(data: object, path: str) -> object:
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def split(text: str | None) -> list[str]:
    return [f for f in (text or "").split(",") if f]
