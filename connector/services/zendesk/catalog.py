"""Fit planned values to Zendesk's field metadata (ticket custom fields, user fields), and tell which

Pure. Zendesk refuses a whole ticket update when one custom field value does not fit its field
(reference/zendesk.md §4.4, pitfall 21: tagger/dropdown fields take an option's tag value,
decimal fields a number, checkboxes a boolean) and silently drops unknown user field keys. So each
value is fitted first; one that cannot fit is skipped (and recorded) while the rest is written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from connector.core.manifest import Manifest, WriteRule
from connector.core.writeplan import Plan, RecordState, same, tag_of
from connector.schemas.zendesk import FieldCatalog, FieldMeta

OPTION_TYPES = ("tagger", "dropdown")
NUMERIC_FORMATS = ("number", "integer", "currency", "percent")
_TRUE, _FALSE = ("true", "yes", "y", "1", "on"), ("false", "no", "n", "0", "off")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
TICKET_SCOPE, USER_SCOPE = "ticket.custom_fields", "user.user_fields"


class Unfit(ValueError):
    """The value cannot be written to the field; the message says why (no value in it)."""


def fit(meta: FieldMeta, value: Any) -> Any:
    """``value`` as the field takes it, or Unfit."""
    if value is None:
        return None  # null clears a field of any type (a withdrawn value)
    kind = meta.type
    if kind in OPTION_TYPES:
        return _option(meta, value)
    if kind == "multiselect":
        items = value if isinstance(value, list) else [v.strip() for v in str(value).split(";")]
        return [_option(meta, v) for v in items if str(v).strip()]
    if kind == "checkbox":
        return _boolean(meta, value)
    if kind in ("decimal", "integer"):
        number = _number(meta, value)
        if kind == "integer":
            if number != int(number):
                raise Unfit(f"not a whole number for integer field {meta.title!r}")
            return int(number)
        return number
    if kind == "date":
        match = _DATE.match(str(value))
        if not match:
            raise Unfit(f"not a date for date field {meta.title!r}")
        return match.group(1)
    if kind == "regexp":
        if not re.fullmatch(meta.regexp or ".*", str(value)):
            raise Unfit(f"does not match the pattern of field {meta.title!r}")
        return str(value)
    if kind in ("text", "textarea"):
        return str(value)
    return value


def _option(meta: FieldMeta, value: Any) -> str:
    text = str(value)
    for candidate in (text, text.lower(), tag_of("", text)):
        if candidate in meta.options:
            return candidate
    raise Unfit(f"not an option of {meta.type} field {meta.title!r}")


def _boolean(meta: FieldMeta, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise Unfit(f"not true or false for checkbox field {meta.title!r}")


def _number(meta: FieldMeta, value: Any) -> float:
    if isinstance(value, bool):
        raise Unfit(f"not a number for {meta.type} field {meta.title!r}")
    try:
        return float(str(value).replace(",", "").strip()) if not isinstance(value, (int, float)) else value
    except ValueError:
        raise Unfit(f"not a number for {meta.type} field {meta.title!r}") from None


@dataclass(frozen=True)
class Skip:
    target: str
    reason: str


def fit_plan(changes: Plan, catalog: FieldCatalog, state: RecordState | None = None) -> tuple[Plan, list[Skip]]:
    """The plan with every field value fitted to its field; values that cannot fit are left out.

    With ``state``, a fitted value the record already holds is left out too: the comparison uses the
    value as the CRM stores it, so an unchanged profile writes nothing.
    """
    skips: list[Skip] = []
    unchanged: set[str] = set()
    fitted: dict[str, dict[str, Any]] = {TICKET_SCOPE: {}, USER_SCOPE: {}}
    current = {TICKET_SCOPE: state.fields if state else {}, USER_SCOPE: state.person_fields if state else {}}
    for scope, values in ((TICKET_SCOPE, changes.fields), (USER_SCOPE, changes.person_fields)):
        fields_of = catalog.user if scope == USER_SCOPE else catalog.ticket
        for name, value in values.items():
            target = f"{scope}.{name}"
            meta = fields_of.get(name)
            if meta is None:
                kind = "ticket field" if scope == TICKET_SCOPE else "user field"
                skips.append(Skip(target, f"no such {kind} in the CRM"))
                continue
            try:
                value = fit(meta, value)
            except Unfit as exc:
                skips.append(Skip(target, str(exc)))
                continue
            if name in current[scope] and same(current[scope][name], value):
                unchanged.add(target)
            else:
                fitted[scope][name] = value
    left_out = {s.target for s in skips} | unchanged
    audit = [entry for entry in changes.audit if entry[0] not in left_out]
    result = replace(changes, fields=fitted[TICKET_SCOPE], person_fields=fitted[USER_SCOPE], audit=audit)
    if result.empty and not changes.empty:  # an empty plan keeps its own reason (no profile…)
        result.reason = "skipped" if skips else "unchanged"
    return result, skips


def mapping_problems(manifest: Manifest, rules: tuple[WriteRule, ...], catalog: FieldCatalog) -> list[str]:
    """One line per write rule whose target field is missing or cannot take the mapped value."""
    problems = []
    for rule in rules:
        found = catalog.lookup(rule.target)
        if found is None:
            continue
        name, meta = found
        label = f"{rule.target} ({rule.value})"
        if meta is None:
            kind = "user field key" if rule.target.on_person else "ticket field id"
            problems.append(f"{label}: Zendesk has no {kind} {name}")
            continue
        reason = _incompatible(manifest, rule, meta)
        if reason:
            problems.append(f"{label}: Zendesk field {meta.title!r} is {meta.type}; {reason}")
    return problems


def _incompatible(manifest: Manifest, rule: WriteRule, meta: FieldMeta) -> str | None:
    values = _known_values(manifest, rule)
    if meta.type in OPTION_TYPES + ("multiselect",) and values is not None:
        misses = []
        for value in values:
            try:
                _option(meta, value)
            except Unfit:
                misses.append(value)
        if misses:
            return (f"mapped values {', '.join(misses)} are not among its options "
                    f"({', '.join(meta.options) or 'none'})")
        return None
    wanted = _value_kind(manifest, rule)
    accepts = {"decimal": ("number",), "integer": ("integer",), "checkbox": ("boolean",),
               "date": ("date",)}.get(meta.type)
    if accepts is not None and wanted not in accepts and not (wanted == "integer" and meta.type == "decimal"):
        return f"the mapped value is {wanted}"
    return None


def _known_values(manifest: Manifest, rule: WriteRule) -> list[str] | None:
    """Every value a rule can write, where the manifest fixes them (badge levels)."""
    if not rule.value.endswith(".badge"):
        return None
    spec = _field_spec(manifest, rule.field_key)
    return [b.level for b in spec.badges] if spec else None


def _value_kind(manifest: Manifest, rule: WriteRule) -> str:
    if rule.value == "enriched_at":
        return "date"
    if rule.value in ("audiences", "profile_id") or "." in rule.value:
        return "text"
    spec = _field_spec(manifest, rule.field_key)
    fmt = spec.format if spec else "text"
    if fmt == "integer":
        return "integer"
    if fmt in NUMERIC_FORMATS:
        return "number"
    if fmt in ("boolean", "consent"):
        return "boolean"
    if fmt in ("date", "datetime"):
        return "date"
    return "text"


def _field_spec(manifest: Manifest, key: str):
    return next((f for s in manifest.sections for f in s.fields if f.key == key), None)
