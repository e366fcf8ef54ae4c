"""The agent's language: a locale and its message catalog, passed to every pure function that
produces text for a person.

Pure: the catalog arrives as a plain mapping (connector.i18n loads the .po files); English is the
source language, so a message missing from a catalog shows in English rather than as a key.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def N_(message: str) -> str:
    """Mark a string for the catalog extractor without translating it (it is translated later)."""
    return message


@dataclass(frozen=True)
class Lang:
    """``locale`` is a Babel/CLDR identifier (``en``, ``fr``, ``fr_CA``): it drives number, currency and
    date formats; ``messages`` is the catalog of its language (msgid → msgstr)."""

    locale: str = "en"
    messages: Mapping[str, str] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return self.locale.split("_")[0]

    def _(self, message: str, **params: Any) -> str:
        """The translation of ``message`` (English if the catalog has none), with ``%(name)s`` filled in."""
        text = self.messages.get(message) or message
        return text % params if params else text

    gettext = _


ENGLISH = Lang()
