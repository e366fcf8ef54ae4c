"""Display formats for card values, table-driven and pure, in the agent's locale (Babel/CLDR).

Babel is a pure formatting library (CLDR data shipped in the package, no I/O beyond reading it),
allowed in the core like phonenumbers. Its output is exact CLDR: French groups thousands with a
narrow no-break space (U+202F) and puts a no-break space (U+00A0) before ``€`` and ``%``.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from connector.core.lang import ENGLISH, N_, Lang
from connector.core.manifest import Badge
from connector.core.timeparse import parse_timestamp

CONSENT_VALUES = {"y": N_("Yes"), "n": N_("No"), "p": N_("Pending"), "u": N_("Unknown"),
                  "dy": N_("Default yes"), "dn": N_("Default no")}
MISSING = "—"



@lru_cache(maxsize=64)
def _babel(tag: str) -> Locale:
    """The parsed CLDR locale, once per tag (Babel parses a locale string at every call otherwise)."""
    return Locale.parse(tag)

def display(value: Any, fmt: str, *, currency: str = "USD", lang: Lang = ENGLISH) -> str:
    """Render ``value`` for a person; an absent value shows as an em dash."""
    if value is None or value == "" or value == [] or value == {}:
        return MISSING
    try:
        return _FORMATTERS.get(fmt, _text)(value, currency, lang)
    except (TypeError, ValueError, OverflowError):
        return str(value)


def badge(value: Any, badges: tuple[Badge, ...], *, lang: Lang = ENGLISH) -> dict | None:
    """The first badge (highest ``min`` first) whose threshold the number reaches; its label translated."""
    number = _number(value)
    if number is None:
        return None
    for item in sorted(badges, key=lambda b: b.min, reverse=True):
        if number >= item.min:
            return {"level": item.level, "label": lang._(item.label)}
    return None


def timestamp(moment: datetime | None, *, lang: Lang = ENGLISH, date_only: bool = False) -> str | None:
    """A UTC moment for the agent: ``Nov 20, 2026, 12:00 PM UTC`` / ``20 nov. 2026, 12:00 UTC``."""
    if moment is None:
        return None
    if date_only:
        return format_date(moment.date(), "medium", locale=_babel(lang.locale))
    when = format_datetime(moment, "medium", tzinfo=timezone.utc, locale=_babel(lang.locale))
    return f"{_drop_seconds(when)} UTC"


def format_percent_value(share: float, *, lang: Lang = ENGLISH) -> str:
    """A 0–1 share as a whole percentage in the locale (``95%`` / ``95 %``)."""
    return format_percent(share, locale=_babel(lang.locale))


def _drop_seconds(text: str) -> str:
    # CLDR's "medium" datetime carries seconds (…12:00:00 PM); an agent needs minutes only.
    head, sep, tail = text.rpartition(":")
    return head + tail[2:] if sep and tail[:2].isdigit() else text


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


def _text(value: Any, _currency: str, _lang: Lang) -> str:
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _name(value: Any, _currency: str, _lang: Lang) -> str:
    if isinstance(value, dict):
        parts = [value.get(k) for k in ("firstName", "middleName", "lastName")]
        joined = " ".join(p for p in parts if p)
        return joined or value.get("fullName") or MISSING
    return str(value)


def _currency(value: Any, currency: str, lang: Lang) -> str:
    return format_currency(float(value), currency.upper(), locale=_babel(lang.locale))


def _percent(value: Any, _currency: str, lang: Lang) -> str:
    number = float(value)
    # Scores come as a 0–1 probability or a 0–100 score (Customer AI, reference §7.2).
    share = number if -1 <= number <= 1 else number / 100
    return format_percent(share, locale=_babel(lang.locale))


def _number_fmt(value: Any, _currency: str, lang: Lang) -> str:
    return format_decimal(round(float(value), 2), locale=_babel(lang.locale))


def _integer(value: Any, _currency: str, lang: Lang) -> str:
    return format_decimal(int(round(float(value))), locale=_babel(lang.locale))


def _date(value: Any, _currency: str, lang: Lang) -> str:
    moment = parse_timestamp(value)
    return format_date(moment.date(), "medium", locale=_babel(lang.locale)) if moment else str(value)


def _datetime(value: Any, _currency: str, lang: Lang) -> str:
    return timestamp(parse_timestamp(value), lang=lang) or str(value)


def _boolean(value: Any, _currency: str, lang: Lang) -> str:
    if isinstance(value, str):
        value = value.strip().lower() in {"true", "1", "yes", "y"}
    return lang._("Yes") if value else lang._("No")


def _consent(value: Any, _currency: str, lang: Lang) -> str:
    if isinstance(value, dict):
        value = value.get("val")
    code = str(value).lower()
    return lang._(CONSENT_VALUES[code]) if code in CONSENT_VALUES else str(value)


_FORMATTERS: dict[str, Callable[[Any, str, Lang], str]] = {
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
