"""How the Zendesk emulator checks custom field values against the account's field metadata.

Zendesk refuses a ticket update whose custom field value does not fit the field (a tagger or
dropdown takes one of its options' tag values, a decimal a number, a checkbox a boolean…) with
``422 RecordInvalid`` and a ``details`` map (reference/zendesk.md §4.1, §4.4, pitfall 21), and
drops user field keys the account does not define. ``None`` (or "") always clears a field.
Triggers are checked for what Zendesk requires of them (§1.3).
"""
from __future__ import annotations

import re
from typing import Any

OPTION_TYPES = ("tagger", "dropdown", "multiselect")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def problem(field: dict, value: Any) -> str | None:
    """Why ``value`` does not fit ``field`` (a Zendesk field definition), or None when it fits."""
    if value is None or value == "":
        return None
    kind = field.get("type")
    options = [o.get("value") for o in field.get("custom_field_options") or []]
    if kind in ("tagger", "dropdown"):
        return None if isinstance(value, str) and value in options else "is not a valid option"
    if kind == "multiselect":
        ok = isinstance(value, list) and all(isinstance(v, str) and v in options for v in value)
        return None if ok else "takes a list of option values"
    if kind == "checkbox":
        return None if isinstance(value, bool) else "takes true or false"
    if kind == "decimal":
        return None if _number(value, _DECIMAL) else "is not a number"
    if kind == "integer":
        return None if _number(value, _INTEGER) and float(value) == int(float(value)) else "is not an integer"
    if kind == "date":
        return None if isinstance(value, str) and _DATE.match(value) else "is not a date (YYYY-MM-DD)"
    if kind == "regexp":
        pattern = field.get("regexp_for_validation") or ""
        return None if isinstance(value, str) and re.fullmatch(pattern, value) else "is invalid"
    if kind in ("text", "textarea", "partialcreditcard"):
        return None if isinstance(value, (str, int, float)) and not isinstance(value, bool) else "is not text"
    return None


def _number(value: Any, pattern: re.Pattern) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return pattern is _DECIMAL
    return isinstance(value, str) and bool(pattern.match(value.strip()))


def invalid_custom_fields(items: list, fields: list[dict]) -> dict | None:
    """The 422 ``details`` for a ticket's ``custom_fields`` list, or None when every value fits.

    Ids the account does not define are ignored, as Zendesk ignores them.
    """
    by_id = {f["id"]: f for f in fields}
    errors = []
    for item in items:
        if not isinstance(item, dict):
            errors.append({"description": "Custom fields: is invalid", "error": "InvalidValue"})
            continue
        field = by_id.get(item.get("id"))
        reason = problem(field, item.get("value")) if field is not None else None
        if field is not None and reason:
            errors.append({"description": f"{field['title']}: {reason}", "error": "InvalidValue",
                           "field_key": field["id"]})
    return {"base": errors} if errors else None


def accepted_user_fields(values: dict, fields: list[dict]) -> tuple[dict, dict | None]:
    """The user field values Zendesk keeps (unknown keys dropped) and the 422 ``details``, if any."""
    by_key = {f["key"]: f for f in fields}
    kept = {k: v for k, v in values.items() if k in by_key}
    errors = [{"description": f"{by_key[k]['title']}: {reason}", "error": "InvalidValue", "field_key": k}
              for k, v in kept.items() if (reason := problem(by_key[k], v))]
    return kept, ({"base": errors} if errors else None)


def record_invalid(details: dict) -> dict:
    """Zendesk's 422 body (reference/zendesk.md §4.1)."""
    return {"error": "RecordInvalid", "description": "Record validation errors", "details": details}


def trigger_problems(world: Any, body: dict) -> dict:
    """What Zendesk requires of a new trigger (§1.3): title, conditions, actions, a category, live webhooks."""
    details: dict[str, list] = {}

    def add(key: str, description: str, error: str = "BlankValue") -> None:
        details.setdefault(key, []).append({"description": description, "error": error})

    if not body.get("title"):
        add("title", "Title: cannot be blank")
    conditions = body.get("conditions") or {}
    if not isinstance(conditions, dict) or not (conditions.get("all") or conditions.get("any")):
        add("conditions", "Conditions: must contain at least one condition")
    if not body.get("actions"):
        add("actions", "Actions: cannot be blank")
    category = body.get("category_id")
    if world.trigger_category_required and not category:
        add("category_id", "Category: cannot be blank")
    elif category and str(category) not in world.trigger_categories:
        add("category_id", "Category: is invalid", "InvalidValue")
    for action in body.get("actions") or []:
        value = action.get("value") if isinstance(action, dict) else None
        if isinstance(action, dict) and action.get("field") == "notification_webhook" and (
                not isinstance(value, list) or len(value) != 2 or value[0] not in world.webhooks):
            add("actions", "Notify active webhook: the webhook does not exist", "InvalidValue")
    return details
