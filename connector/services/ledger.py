"""The audit ledger's side of enrichment: what was written (and for whom), what was left out and why.

Every provider records through here, so the ledger reads the same whatever the CRM: one row per wire
target, the profile it came from, and digests of the person's identities (``forget`` finds the rows by
any of them).
"""
from __future__ import annotations

from collections.abc import Iterable

from connector.core.jobkey import JobKey
from connector.core.models import Card
from connector.core.writeplan import Plan
from connector.store.db import IDENTITY_POLICY, AuditEntry, Store

SKIPPED = "skipped"  # the ledger's policy for a planned value that was not written, with the reason
REFUSED = "refused"


class Ledger:
    def __init__(self, store: Store) -> None:
        self.store = store

    def last_written(self, *keys: JobKey) -> dict[str, str | None]:
        """What the connector wrote last to these records, by wire target (targets name their record)."""
        found: dict[str, str | None] = {}
        for key in keys:
            found.update(self.store.last_written(str(key)))
        return found

    def written(self, key: JobKey, changes: Plan, card: Card, *, person: bool | None = None) -> None:
        """A plan written (all of it, or only the record's or only the person's share)."""
        entries = changes.audit if person is None else changes.audit_of(person=person)
        self.record(key, [AuditEntry(target, value, policy) for target, value, policy in entries], card)

    def skipped(self, key: JobKey, skips: Iterable[tuple[str, str]], card: Card) -> None:
        """Values the fields could not take: each reason once (not at every run); nothing written, no identity."""
        skips = list(skips)
        before = self.store.last_skipped(str(key)) if skips else {}
        fresh = [AuditEntry(target, why, SKIPPED) for target, why in skips if before.get(target) != why]
        if fresh:
            self._store(key, fresh, card)

    def refused(self, key: JobKey, target: str, message: str, card: Card) -> None:
        """The CRM refused the write (validation rule, field-level security…)."""
        self.record(key, [AuditEntry(target, message[:500], REFUSED)], card)

    def record(self, key: JobKey, entries: list[AuditEntry], card: Card) -> None:
        """Entries with the person's identity digests (none: nothing is recorded)."""
        if entries and any(e.policy != SKIPPED for e in entries):
            entries = [*entries, *identities(card)]
        self._store(key, entries, card)

    def _store(self, key: JobKey, entries: list[AuditEntry], card: Card) -> None:
        matched = card.matched
        self.store.record_writes(str(key), entries, profile_id=card.profile_id,
                                 profile_last_modified=card.last_modified_at,
                                 namespace=matched.namespace if matched else None)


def identities(card: Card) -> list[AuditEntry]:
    """Digests of the contact's identities, kept with the writes so that `forget` finds them by any of them."""
    return [AuditEntry(f"identity:{namespace}", value, IDENTITY_POLICY) for namespace, value in card.identity_digests]
