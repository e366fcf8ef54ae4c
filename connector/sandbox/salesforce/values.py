"""What the Salesforce emulator does with the values of a record write, field by field, as Salesforce does:
refuse what does not fit the field's metadata, and store the rest the way Salesforce stores it (numbers
rounded half-up to the field's scale, date-times in UTC with milliseconds).

Error entries are the REST shape ``{"message", "errorCode", "fields"}`` (reference §2.2). A body that
cannot be deserialised at all (an array into a number, an unparseable date) is one ``JSON_PARSER_ERROR``
for the whole request, as Salesforce's JSON reader stops at the first such value.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connector.sandbox.salesforce.fields import SfField

TEXT = {"string", "textarea", "picklist", "email", "phone", "reference", "id"}
NUMBER = {"double", "currency", "percent", "int"}
_DATETIME = re.compile(r"^(?P<day>\d{4}-\d{2}-\d{2})T(?P<hm>\d{2}:\d{2})(?::(?P<s>\d{2})(?:\.(?P<ms>\d{1,3}))?)?"
                       r"(?P<tz>Z|[+-]\d{2}:?\d{2})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_JSON_KIND = {bool: "VALUE_TRUE", int: "VALUE_NUMBER_INT", float: "VALUE_NUMBER_FLOAT", str: "VALUE_STRING",
              list: "START_ARRAY", dict: "START_OBJECT"}


class ParserError(Exception):
    """The body cannot be read into the record (JSON_PARSER_ERROR)."""


def error(code: str, message: str, fields: list[str] | None = None) -> dict:
    return {"message": message, "errorCode": code, "fields": fields or []}


def check_write(obj: str, schema: dict[str, SfField], changes: dict[str, Any], *,
                creating: bool = False) -> tuple[dict[str, Any], list[dict]]:
    """The values as Salesforce would store them, and the errors (empty when the write is accepted)."""
    stored: dict[str, Any] = {}
    problems: list[dict] = []
    by_lower = {name.lower(): f for name, f in schema.items()}
    for key, value in changes.items():
        meta = by_lower.get(key.lower())
        if meta is None:
            return {}, [error("INVALID_FIELD", f"No such column '{key}' on sobject of type {obj}")]
        if not (meta.createable if creating else meta.updateable):
            problems.append(error("INVALID_FIELD_FOR_INSERT_UPDATE",
                                  f"Unable to create/update fields: {meta.name}. Please check the security settings "
                                  "of this field and verify that it is read/write for your profile or permission set.",
                                  [meta.name]))
            continue
        try:
            stored[meta.name], problem = store_value(meta, value)
        except ParserError as exc:
            return {}, [error("JSON_PARSER_ERROR", str(exc))]
        if problem:
            problems.append(problem)
    if creating and not problems:
        missing = [f.name for f in schema.values() if _required_on_create(f) and stored.get(f.name) in (None, "")]
        if missing:
            problems.append(error("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]",
                                  missing))
    return stored, problems


def _required_on_create(meta: SfField) -> bool:
    """A field a create must set (§2.2 ``REQUIRED_FIELD_MISSING``): writable, not nillable, and not one
    Salesforce fills itself (a checkbox is false, a picklist such as Case Status takes its default)."""
    return meta.createable and not meta.nillable and meta.type not in ("boolean", "picklist")


def store_value(meta: SfField, value: Any) -> tuple[Any, dict | None]:
    """(stored value, None) or (None, the field's error); raises ParserError for unreadable JSON."""
    if value is None or (value == "" and meta.type in TEXT):
        if not meta.nillable:
            return None, error("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{meta.name}]", [meta.name])
        return None, None
    if isinstance(value, (list, dict)) or (isinstance(value, bool) and meta.type in NUMBER | {"date", "datetime"}):
        raise ParserError(_cannot(meta, value))
    if meta.type in TEXT:
        return _text(meta, value)
    if meta.type in NUMBER:
        return _number(meta, value)
    if meta.type == "boolean":
        if isinstance(value, bool) or str(value).lower() in ("true", "false"):
            return str(value).lower() == "true", None
        return None, _wrong_type(meta, value)
    if meta.type in ("date", "datetime"):
        return _moment(meta, value), None
    raise AssertionError(f"no rule for {meta.type}")


def _text(meta: SfField, value: Any) -> tuple[Any, dict | None]:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if meta.length and len(text) > meta.length:
        return None, error("STRING_TOO_LONG", f"{meta.label}: data value too large: {text[:40]}"
                                              f"{'...' if len(text) > 40 else ''} (max length={meta.length})",
                           [meta.name])
    if meta.type == "picklist" and meta.restricted and text not in {v for v, _, active in meta.picklist if active}:
        return None, error("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                           f"{meta.label}: bad value for restricted picklist field: {text}", [meta.name])
    return text, None


def _number(meta: SfField, value: Any) -> tuple[Any, dict | None]:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None, _wrong_type(meta, value)
    if not number.is_finite():
        return None, _wrong_type(meta, value)
    rounded = number.quantize(Decimal(1).scaleb(-meta.scale), rounding=ROUND_HALF_UP)
    whole_digits = len(str(abs(rounded).to_integral_value(rounding="ROUND_DOWN")).lstrip("0"))
    if meta.precision and whole_digits > meta.precision - meta.scale:
        return None, error("NUMBER_OUTSIDE_VALID_RANGE",
                           f"{meta.label}: value outside of valid range on numeric field: {value}", [meta.name])
    return (int(rounded) if meta.scale == 0 else float(rounded)), None


def _moment(meta: SfField, value: Any) -> str:
    text = value if isinstance(value, str) else None
    if meta.type == "date":
        if text is None or not _DATE.match(text):
            raise ParserError(_cannot(meta, value, "value given is not a valid date"))
        try:
            return datetime.strptime(text, "%Y-%m-%d").strftime("%Y-%m-%d")
        except ValueError:
            raise ParserError(_cannot(meta, value, "value given is not a valid date")) from None
    parts = _DATETIME.match(text) if text is not None else None
    if parts is None:
        raise ParserError(_cannot(meta, value, "value given is not a valid date/time"))
    zone = (parts["tz"] or "Z").replace("Z", "+00:00").replace(":", "")
    try:
        moment = datetime.strptime(f"{parts['day']}T{parts['hm']}:{parts['s'] or '00'}.{(parts['ms'] or '0'):0<3}"
                                   f"{zone}", "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(timezone.utc)
    except ValueError:
        raise ParserError(_cannot(meta, value, "value given is not a valid date/time")) from None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _cannot(meta: SfField, value: Any, why: str = "request may be missing a required field") -> str:
    kind = _JSON_KIND.get(type(value), "VALUE_STRING")
    shown = "[" if isinstance(value, list) else "{" if isinstance(value, dict) else str(value)
    return f"Cannot deserialize instance of {meta.type} from {kind} value {shown} or {why}"


def _wrong_type(meta: SfField, value: Any) -> dict:
    return error("INVALID_TYPE_ON_FIELD_IN_RECORD", f"{meta.label}: value not of required type: {value}", [meta.name])
