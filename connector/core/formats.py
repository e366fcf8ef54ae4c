"""Display formats for card values, table-driven and pure."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connector.core.manifest import Badge
from connector.core.timeparse import parse_timestamp

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "AUD": "A$", "CAD": "C$"}
CONSENT_VALUES = {"y": "Yes", "n": "No", "p": "Pending", "u": "Unknown", "dy": "Default yes", "dn": "Default no"}
MISSING = "—"


def display(value: Any, fmt: str, *, currency: str = "USD") -> str:
    """Render ``value`` for a person; an absent value shows as an em dash."""
    if value is None or value == "" or value == [] or value == {}:
        return MISSING
    try:
        return _FORMATTERS.get(fmt, _text)(value, currency)
    except (TypeError, ValueError):
        return str(value)


def badge(value: Any, badges: tuple[Badge, ...]) -> dict | None:
    """The first badge (highest ``min`` first) whose threshold the number reaches."""
    number = _number(value)
    if number is None:
        return None
    for item in sorted(badges, key=lambda b: b.min, reverse=True):
        if number >= item.min:
            return {"level": item.level, "label": item.label}
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _text(value: Any, _currency: str) -> str:
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _name(value: Any, _currency: str) -> str:
    if isinstance(value, dict):
        parts = [value.get(k) for k in ("firstName", "middleName", "lastName")]
        joined = " ".join(p for p in parts if p)
        return joined or value.get("fullName") or MISSING
    return str(value)


def _currency(value: Any, currency: str) -> str:
    amount = float(value)
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    body = f"{abs(amount):,.2f}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency.upper()}"


def _percent(value: Any, _currency: str) -> str:
    number = float(value)
    # Scores come as a 0–1 probability or a 0–100 score (Customer AI, reference §7.2).
    pct = number * 100 if -1 <= number <= 1 else number
    return f"{pct:.0f}%"


def _number_fmt(value: Any, _currency: str) -> str:
    return f"{float(value):,.2f}".rstrip("0").rstrip(".")


def _integer(value: Any, _currency: str) -> str:
    return f"{int(round(float(value))):,}"


def _date(value: Any, _currency: str) -> str:
    moment = parse_timestamp(value)
    return moment.date().isoformat() if moment else str(value)


def _datetime(value: Any, _currency: str) -> str:
    moment = parse_timestamp(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else str(value)


def _boolean(value: Any, _currency: str) -> str:
    if isinstance(value, str):
        return "Yes" if value.strip().lower() in {"true", "1", "yes", "y"} else "No"
    return "Yes" if value else "No"


def _consent(value: Any, _currency: str) -> str:
    if isinstance(value, dict):
        value = value.get("val")
    return CONSENT_VALUES.get(str(value).lower(), str(value))


_FORMATTERS: dict[str, Callable[[Any, str], str]] = {
    "text": _text,
    "list": _text,
    "name": _name,
    "currency": _currency,
    "percent": _percent,
    "number": _number_fmt,
    "integer": _integer,
    "date": _date,
    "datetime": _datetime,
    "boolean": _boolean,
    "consent": _consent,
}
