"""The name of one CRM record's enrichment job: ``provider:object:id``, parsed and formatted here only.

A job key is the store's record key, the queue's message and the ledger's record; it crosses every
layer, so it travels as this value and is never built or split apart by hand.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_PROVIDER = re.compile(r"[a-z][a-z0-9_]{0,19}")  # the store's provider column holds 20 characters
_OBJECT = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_LENGTH = 120  # the store's record_key columns


@dataclass(frozen=True, order=True)
class JobKey:
    provider: str  # the registry name of the CRM, e.g. the manifest's writeback key
    object: str  # the provider's record type
    id: str  # the record id, as the provider writes it

    def __post_init__(self) -> None:
        for part, pattern in ((self.provider, _PROVIDER), (self.object, _OBJECT), (self.id, _ID)):
            if not isinstance(part, str) or pattern.fullmatch(part) is None:
                raise ValueError(f"not a job key part: {str(part)[:80]!r}")
        if len(str(self)) > MAX_LENGTH:
            raise ValueError(f"a job key is at most {MAX_LENGTH} characters")

    def __str__(self) -> str:
        return f"{self.provider}:{self.object}:{self.id}"

    @classmethod
    def parse(cls, text: Any) -> JobKey:
        """``provider:object:id`` → JobKey; ValueError naming the form otherwise."""
        parts = text.split(":") if isinstance(text, str) else []
        if len(parts) != 3:
            raise ValueError(f"not a record key: {str(text)[:80]!r} (provider:object:id)")
        try:
            return cls(*parts)
        except ValueError:
            raise ValueError(f"not a record key: {str(text)[:80]!r} (provider:object:id)") from None

    def sibling(self, obj: str, record_id: str) -> JobKey:
        """Another record of the same provider (a case's contact, a ticket's requester)."""
        return JobKey(self.provider, obj, record_id)
