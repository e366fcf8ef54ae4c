"""Record ids, SOQL and sObject Collections of the Salesforce emulator, as Salesforce treats them.

- Ids: a 15-character id and its 18-character form (the 3-character suffix encodes the case of the
  first 15, so the 18-character id is case-insensitive) name the same record; records are kept under
  their 18-character id, which is what Salesforce returns.
- SOQL: keywords, object and field names, and string comparisons are case-insensitive (reference §9).
- Collections: with ``allOrNone: true`` one refused record rolls the others back (reference §2.3).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from connector.sandbox.salesforce.fields import SfField

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-5]{3})?$")
SOQL = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<obj>\w+)(?:\s+WHERE\s+(?P<where>.+?))?"
                  r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$", re.IGNORECASE | re.DOTALL)
_CONDITION = re.compile(r"^\s*(\w+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*$")
_IN = re.compile(r"^\s*(\w+)\s+IN\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "fields": [],
               "message": "Record rolled back because not all records were valid and the request was using "
                          "AllOrNone header"}


def _checksum(id15: str) -> str:
    return "".join(_ALPHABET[sum(1 << j for j, ch in enumerate(id15[i:i + 5]) if ch.isupper())]
                   for i in range(0, 15, 5))


def canonical_id(value: str) -> str | None:
    """The 18-character form of a 15- or 18-character id, or None when ``value`` is no id."""
    if not _ID.match(value or ""):
        return None
    if len(value) == 15:
        return value + _checksum(value)
    body = list(value[:15])
    for chunk, letter in enumerate(value[15:].upper()):
        bits = _ALPHABET.index(letter)
        for j in range(5):
            ch = body[chunk * 5 + j]
            if bits >> j & 1 and not ch.isalpha():
                return None
            body[chunk * 5 + j] = ch.upper() if bits >> j & 1 else ch.lower()
    fixed = "".join(body)
    return fixed + _checksum(fixed)


def with_attributes(obj: str, record: dict, wanted: list[str] | None, version: str) -> dict:
    """A record as the REST API returns it: ``attributes`` (type, url), then the wanted fields (all if None)."""
    fields = wanted or list(record)
    return {"attributes": {"type": obj, "url": f"/services/data/v{version}/sobjects/{obj}/{record['Id']}"},
            **{f: record.get(f) for f in fields}}


class QueryError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def run_query(soql: str, records: dict[str, dict[str, dict]],
              schema: dict[str, dict[str, SfField]]) -> tuple[str, list[str], list[dict], int | None]:
    """(object, selected field names, matching records, LIMIT) for the SOQL subset the connector uses."""
    match = SOQL.match(soql)
    objects = {name.lower(): name for name in records}
    obj = objects.get(match["obj"].lower()) if match else None
    if not match or obj is None:
        raise QueryError("MALFORMED_QUERY", "unexpected token")
    column = _columns(obj, schema[obj])
    wanted = [column(f.strip()) for f in match["fields"].split(",")]
    tests: list[Callable[[dict], bool]] = []
    for part in re.split(r"\s+AND\s+", match["where"], flags=re.IGNORECASE) if match["where"] else []:
        condition, within = _CONDITION.match(part), _IN.match(part)
        if condition:
            name, values = column(condition[1]), [condition[2]]
        elif within:
            name, values = column(within[1]), _QUOTED.findall(within[2])
        else:
            raise QueryError("MALFORMED_QUERY", "unsupported condition")
        tests.append(_test(name, schema[obj][name], [v.replace("\\'", "'") for v in values]))
    rows = [r for r in records[obj].values() if all(test(r) for test in tests)]
    return obj, wanted, rows, int(match["limit"]) if match["limit"] else None


def _columns(obj: str, fields: dict[str, SfField]) -> Callable[[str], str]:
    by_lower = {name.lower(): name for name in fields}

    def column(name: str) -> str:
        if name.lower() not in by_lower:
            raise QueryError("INVALID_FIELD", f"No such column '{name}' on entity '{obj}'. If you are attempting "
                                              "to use a custom field, be sure to append the '__c' after the "
                                              "custom field name.")
        return by_lower[name.lower()]
    return column


def _test(name: str, meta: SfField, values: list[str]) -> Callable[[dict], bool]:
    if meta.type in ("id", "reference"):
        ids = {canonical_id(v) for v in values} - {None}
        return lambda r: r.get(name) is not None and canonical_id(str(r[name])) in ids
    lowered = {v.lower() for v in values}
    return lambda r: r.get(name) is not None and str(r[name]).lower() in lowered


def collection_refusal(records: list[Any]) -> tuple[str, str] | None:
    """Why a ``PATCH composite/sobjects`` is refused whole (§2.3: each record needs ``attributes.type``;
    a malformed request is a 400), as (errorCode, message); None when every record names its type."""
    for index, item in enumerate(records):
        kind = ((item.get("attributes") if isinstance(item, dict) else None) or {}).get("type")
        if not isinstance(kind, str) or not kind:
            # Emulator choice (§2.3 documents the 400, not its code or wording).
            return "INVALID_INPUT", f"Record {index} has no attributes.type: each record must name its sObject type"
    return None


def collection_results(items: list[Any], all_or_none: bool, *, find: Callable[[str, str], dict | None],
                       check: Callable[[str, dict], tuple[dict, list[dict]]],
                       commit: Callable[[str, dict, dict, dict], None]) -> list[dict]:
    """SaveResults of a ``PATCH composite/sobjects``: check every record, then commit the good ones (all or
    none of them with ``all_or_none``). Errors inside SaveResults say ``statusCode`` (reference §2.3)."""
    planned: list[tuple[str, dict, dict, dict] | None] = []
    results: list[dict] = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        obj, rid = str((item.get("attributes") or {}).get("type")), canonical_id(str(item.get("id")))
        record = find(obj, rid) if rid else None
        changes = {k: v for k, v in item.items() if k not in ("attributes", "id")}
        if rid is None:
            problems = [{"statusCode": "MALFORMED_ID", "message": f"malformed id {item.get('id')}", "fields": []}]
        elif record is None:
            problems = [{"statusCode": "NOT_FOUND", "message": "entity not found", "fields": []}]
        else:
            stored, errs = check(obj, changes)
            problems = [{"statusCode": e["errorCode"], "message": e["message"], "fields": e["fields"]} for e in errs]
        planned.append(None if problems else (obj, record, stored, changes))  # type: ignore[arg-type]
        results.append({"success": False, "errors": problems} if problems else
                       {"id": rid, "success": True, "errors": []})
    failed = any(not r["success"] for r in results)
    if all_or_none and failed:
        return [r if not r["success"] else {"success": False, "errors": [dict(ROLLED_BACK)]}
                for r in results]
    for step in planned:
        if step is not None:
            commit(*step)
    return results
