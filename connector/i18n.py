"""Message catalogs: the committed ``connector/locale/<lang>/LC_MESSAGES/messages.po`` files, read
with Babel at first use (no compile step, so an editable install and a wheel behave the same).

English is the source language (``messages.pot`` lists its msgids); an unknown or unsupported
locale falls back to English.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import IO

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

from connector.core.lang import ENGLISH, Lang

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{4}))?(?:[-_]([A-Za-z]{2}|[0-9]{3}))?$")


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def supported() -> tuple[str, ...]:
    """English plus every language with a committed catalog."""
    found = sorted(p.name for p in LOCALE_DIR.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()) \
        if LOCALE_DIR.is_dir() else []
    return (SOURCE_LANGUAGE, *(code for code in found if code != SOURCE_LANGUAGE))


@cache
def messages(language: str) -> dict[str, str]:
    """msgid → msgstr of one language's catalog (untranslated and fuzzy entries left out)."""
    path = catalog_path(language)
    if language == SOURCE_LANGUAGE or not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy}


def normalise(tag: str | None) -> str | None:
    """``fr-fr`` / ``fr_FR`` / ``en-US`` → a Babel identifier (``fr_FR``); None if it is no locale tag."""
    match = _TAG.match((tag or "").strip())
    if not match:
        return None
    language, script, territory = match.groups()
    parts = [language.lower()] + ([script.title()] if script else []) + ([territory.upper()] if territory else [])
    try:
        return str(Locale.parse("_".join(parts)))
    except (UnknownLocaleError, ValueError):
        try:
            return str(Locale.parse(language.lower()))
        except (UnknownLocaleError, ValueError):
            return None


def lang_for(tag: str | None) -> Lang:
    """The Lang of a locale tag: its own CLDR formats, its language's catalog; English if unsupported."""
    locale = normalise(tag)
    if locale is None:
        return ENGLISH
    language = locale.split("_")[0]
    if language not in supported():
        return ENGLISH
    return _lang(locale)


def best(tags: Iterable[str]) -> Lang:
    """The first supported tag of a preference list (e.g. Accept-Language, best first)."""
    for tag in tags:
        locale = normalise(tag)
        if locale and locale.split("_")[0] in supported():
            return _lang(locale)
    return ENGLISH


@lru_cache(maxsize=64)
def _lang(locale: str) -> Lang:
    return Lang(locale=locale, messages=messages(locale.split("_")[0]))


def extract_manifest(fileobj: IO[bytes], keywords: object, comment_tags: object,
                     options: object) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor for a mapping manifest: its card labels, titles, badge and event labels are msgids
    (the agent sees them), so the shipped manifest's wording is translated like the code's."""
    import yaml  # the manifest's own format; only the extractor needs it here

    data = yaml.safe_load(fileobj) or {}
    found: list[object] = []
    for section in data.get("card") or []:
        found.append(section.get("title"))
        for item in section.get("fields") or []:
            found.append(item.get("label"))
            found.extend(b.get("label") for b in item.get("badges") or [])
    found.append((data.get("audiences") or {}).get("title", "Audiences"))
    for section in (data.get("events") or {}).get("sections") or []:
        found.append(section.get("title"))
        found.extend(((section.get("item") or {}).get("labels") or {}).values())
    for text in found:
        if isinstance(text, str) and text:
            yield 0, "_", text, []
