"""Checking write-back rules against the CRM's live field metadata (``aep-connector check``): every target
field exists, can be written, and can hold the kind of value the rule maps to it. Pure."""
from __future__ import annotations

from collections.abc import Mapping

from connector.core.fieldfit import FieldMeta, compatible, fit
from connector.core.manifest import FieldSpec, Manifest, WriteRule

NUMBER_FORMATS = {"currency", "percent", "integer", "number"}
KIND_NAMES = {"text": "text", "number": "number", "choice": "picklist", "datetime": "date-time", "date": "date",
              "boolean": "checkbox", "reference": "lookup/id", "other": "compound"}


def card_field(manifest: Manifest, key: str) -> FieldSpec | None:
    return next((f for s in manifest.sections for f in s.fields if f.key == key), None)


def value_kind(manifest: Manifest, reference: str) -> str:
    """The kind of value a rule's ``value`` gives: number, text, date, datetime or boolean."""
    if reference == "enriched_at":
        return "datetime"
    key, _, part = reference.partition(".")
    spec = card_field(manifest, key)
    if part or spec is None:  # badge levels, display text, audiences, the profile id
        return "text"
    if spec.format in NUMBER_FORMATS:
        return "number"
    return spec.format if spec.format in ("date", "datetime", "boolean") else "text"


def rule_problems(manifest: Manifest, rule: WriteRule, fields: Mapping[str, FieldMeta], *, crm: str) -> list[str]:
    """What is wrong with one ``<object>.<field>`` rule, in the CRM's terms (empty: nothing)."""
    obj, name = rule.target.object, rule.target.name
    meta = fields.get(name)
    if meta is None:
        return [f"{crm} has no field {name} on {obj} (or the integration user cannot see it)"]
    problems = []
    if not meta.updateable:
        problems.append(f"{crm} says {name} is not updateable (read-only, or no edit access for the integration user)")
    kind = value_kind(manifest, rule.value)
    if not compatible(meta, kind):
        problems.append(f"{crm} says {name} is a {KIND_NAMES.get(meta.kind, meta.kind)} field; "
                        f"{rule.value} is a {KIND_NAMES.get(kind, kind)}")
    elif rule.value.endswith(".badge") and meta.kind == "choice" and meta.restricted:
        spec = card_field(manifest, rule.field_key)
        missing = [b.level for b in (spec.badges if spec else ()) if fit(meta, b.level).skipped]
        if missing:
            problems.append(f"{crm} picklist {name} has no active value for {rule.value} "
                            f"{', '.join(repr(m) for m in missing)}")
    return problems
