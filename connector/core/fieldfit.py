"""Fitting a value to a CRM field before it is written: the value the CRM would store, or why it cannot
be written. Pure; the adapters turn their CRM's field metadata into ``FieldMeta``.

- numbers: rounded half-up to the field's scale; too many integer digits → skipped
- text: cut to the field's length, the last character replaced by a marker
- choices: matched to an active value (by value, else by value or label ignoring case); restricted
  fields skip anything else
- date-times: UTC, ``YYYY-MM-DDTHH:MM:SS.000+0000``; dates: ``YYYY-MM-DD``
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

TRUNCATION_MARKER = "…"
KINDS = ("text", "number", "choice", "datetime", "date", "boolean", "reference", "other")
# What kinds of field hold a value of each kind (``compatible``)
HOLDS = {"number": {"number", "text"}, "text": {"text", "choice"}, "choice": {"text", "choice"},
         "datetime": {"datetime", "text"}, "date": {"date", "datetime", "text"}, "boolean": {"boolean", "text"}}
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?)?$")


@dataclass(frozen=True)
class FieldMeta:
    """A CRM field as far as writing to it goes."""

    name: str
    kind: str  # one of KINDS
    length: int = 0  # characters; 0: no limit known
    precision: int = 0  # digits in all; 0: no limit known
    scale: int = 0  # digits after the decimal point
    choices: tuple[tuple[str, str], ...] = ()  # active (value, label) pairs
    restricted: bool = False  # only ``choices`` are accepted
    updateable: bool = True


@dataclass(frozen=True)
class Fitted:
    value: Any = None
    skipped: str | None = None  # why the value cannot be written (then ``value`` is None)


def fit(meta: FieldMeta | None, value: Any) -> Fitted:
    """``value`` as the CRM would store it in the field ``meta`` describes (unchanged without metadata)."""
    if meta is None or value is None:
        return Fitted(value)
    if not meta.updateable:
        return Fitted(skipped="the field is read-only")
    fitter = _FITTERS.get(meta.kind)
    return fitter(meta, value) if fitter else Fitted(value)


def compatible(meta: FieldMeta, value_kind: str) -> bool:
    """Whether a field of ``meta``'s kind can hold values of ``value_kind`` (see ``HOLDS``)."""
    return meta.kind in HOLDS.get(value_kind, {meta.kind})


def _number(meta: FieldMeta, value: Any) -> Fitted:
    if isinstance(value, bool):
        return Fitted(skipped="not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return Fitted(skipped="not a number")
    if not number.is_finite():
        return Fitted(skipped="not a number")
    rounded = number.quantize(Decimal(1).scaleb(-meta.scale), rounding=ROUND_HALF_UP)
    whole = len(str(abs(rounded).to_integral_value(rounding="ROUND_DOWN")).lstrip("0"))
    if meta.precision and whole > meta.precision - meta.scale:
        return Fitted(skipped=f"too many digits before the decimal point (at most {meta.precision - meta.scale})")
    return Fitted(int(rounded) if meta.scale == 0 else float(rounded))


def _text(meta: FieldMeta, value: Any) -> Fitted:
    text = _as_text(value)
    if meta.length and len(text) > meta.length:
        text = text[: meta.length - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER
    return Fitted(text)


def _choice(meta: FieldMeta, value: Any) -> Fitted:
    text = _as_text(value)
    if any(text == v for v, _ in meta.choices):
        return Fitted(text)
    folded = text.casefold()
    for v, label in meta.choices:
        if folded in (v.casefold(), label.casefold()):
            return Fitted(v)
    if meta.restricted:
        return Fitted(skipped="not an active value of the picklist")
    return _text(meta, text)


def _moment(meta: FieldMeta, value: Any) -> Fitted:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    else:
        parsed = _parse(str(value).strip())
        if parsed is None:
            return Fitted(skipped=f"not a {'date' if meta.kind == 'date' else 'date-time'}")
        moment = parsed
    if meta.kind == "date":
        return Fitted(moment.strftime("%Y-%m-%d"))
    moment = moment.astimezone(timezone.utc)
    return Fitted(moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000")


def _parse(text: str) -> datetime | None:
    parts = _ISO.match(text)
    if parts is None:
        return None
    day, hm, seconds, fraction, zone = parts.groups()
    zone = (zone or "Z").replace("Z", "+0000").replace(":", "")
    try:
        return datetime.strptime(f"{day}T{hm or '00:00'}:{seconds or '00'}.{(fraction or '0'):0<6}{zone}",
                                 "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


def _boolean(meta: FieldMeta, value: Any) -> Fitted:
    if isinstance(value, bool):
        return Fitted(value)
    folded = str(value).strip().lower()
    if folded in ("true", "yes", "y", "1"):
        return Fitted(True)
    if folded in ("false", "no", "n", "0"):
        return Fitted(False)
    return Fitted(skipped="not a yes/no value")


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return str(value)


_FITTERS = {"number": _number, "text": _text, "choice": _choice, "datetime": _moment, "date": _moment,
            "boolean": _boolean}
