"""The audit ledger: what the connector wrote where, and finding and forgetting a person in it."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from connector.store.tables import audit, jobs

IDENTITY_POLICY = "identity"  # audit rows holding the SHA-256 of an identity of the person written for
FORGOTTEN = "forgotten"
MIN_MATCHED_VALUE = 5  # an audit value equal to the identity counts only if it is not a short, common value


@dataclass(frozen=True)
class Person:
    """Everything the ledger holds about one person: rows, records, profile ids, identity digests."""

    row_ids: frozenset[int] = frozenset()
    record_keys: frozenset[str] = frozenset()
    profile_ids: frozenset[str] = frozenset()
    digests: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AuditEntry:
    target: str
    value: str | None
    policy: str


class LedgerQueries:
    """The audit queries of ``Store``; every write is one short transaction."""

    engine: Engine
    clock: Callable[[], datetime]

    def record_writes(self, record_key: str, entries: Iterable[AuditEntry], *, profile_id: str | None,
                      profile_last_modified: datetime | None, namespace: str | None) -> None:
        now = self.clock()
        rows = [{"at": now, "record_key": record_key, "target": e.target, "value": e.value, "policy": e.policy,
                 "profile_id": profile_id, "profile_last_modified": profile_last_modified, "namespace": namespace}
                for e in entries]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(insert(audit), rows)

    def last_written(self, record_key: str) -> dict[str, str | None]:
        """target → the value the connector last wrote there (for never_overwrite_human_edit)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit.c.target, audit.c.value).where(audit.c.record_key == record_key,
                                                                             audit.c.policy != "skipped")
                                .order_by(audit.c.id)).all()
        return {r.target: r.value for r in rows}

    def last_skipped(self, record_key: str) -> dict[str, str | None]:
        """target → why the connector last left a planned value out (ledger rows of policy ``skipped``)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit.c.target, audit.c.value).where(audit.c.record_key == record_key,
                                                                             audit.c.policy == "skipped")
                                .order_by(audit.c.id)).all()
        return {r.target: r.value for r in rows}

    def audit_rows(self, record_key: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit).where(audit.c.record_key == record_key).order_by(audit.c.id)).all()
        return [dict(r._mapping) for r in rows]

    def writes_for_profile(self, profile_id: str) -> list[dict]:
        """The latest value the connector wrote to each (record, target) for one AEP profile."""
        return self._latest(audit.c.profile_id == profile_id)

    def writes_for_person(self, person: Person) -> list[dict]:
        """The latest value the connector wrote to each (record, target) among a person's rows."""
        return self._latest(audit.c.id.in_(sorted(person.row_ids))) if person.row_ids else []

    def _latest(self, condition: Any) -> list[dict]:
        with self.engine.connect() as conn:
            kept = audit.c.policy.not_in((FORGOTTEN, IDENTITY_POLICY, "skipped"))  # not values written to a CRM
            rows = conn.execute(select(audit).where(condition, kept).order_by(audit.c.id)).all()
        latest: dict[tuple[str, str], dict] = {}
        for row in rows:
            latest[(row.record_key, row.target)] = dict(row._mapping)
        return list(latest.values())

    def find_person(self, *, digests: Iterable[str], values: Iterable[str] = (),
                    profile_ids: Iterable[str] = ()) -> Person:
        """Every audit row of a person: by an identity digest, an identity value written verbatim, or a profile
        id — and, transitively, by every profile id and identity digest recorded with those rows."""
        known_digests, known_ids = set(digests), {p for p in profile_ids if p}
        texts = {v for v in values if v and len(v) >= MIN_MATCHED_VALUE}
        found: dict[int, Any] = {}
        with self.engine.connect() as conn:
            while True:
                condition = (audit.c.policy == IDENTITY_POLICY) & audit.c.value.in_(sorted(known_digests))
                if texts:
                    condition = condition | audit.c.value.in_(sorted(texts))
                if known_ids:
                    condition = condition | audit.c.profile_id.in_(sorted(known_ids))
                rows = conn.execute(select(audit.c.id, audit.c.record_key, audit.c.profile_id, audit.c.value,
                                           audit.c.policy).where(condition)).all()
                found.update((r.id, r) for r in rows)
                more_ids = {r.profile_id for r in found.values() if r.profile_id} - known_ids
                more_digests = {r.value for r in found.values() if r.policy == IDENTITY_POLICY} - known_digests
                if not more_ids and not more_digests:
                    break
                known_ids |= more_ids
                known_digests |= more_digests
        return Person(frozenset(found), frozenset(r.record_key for r in found.values()), frozenset(known_ids),
                      frozenset(known_digests))

    def forget_person(self, person: Person) -> int:
        """Blank a person's audit rows (values and ids, keeping that a write happened) and the last errors of
        the jobs of their records (an error message may quote a value)."""
        if not person.row_ids:
            return 0
        with self.engine.begin() as conn:
            result = conn.execute(update(audit).where(audit.c.id.in_(sorted(person.row_ids))).values(
                value=None, profile_id=None, namespace=None, policy=FORGOTTEN))
            conn.execute(update(jobs).where(jobs.c.record_key.in_(sorted(person.record_keys))).values(last_error=None))
            return result.rowcount

    def forget_profile(self, profile_id: str) -> int:
        """Blank the personal data of a profile's audit rows (values and ids), keeping that a write happened."""
        with self.engine.begin() as conn:
            result = conn.execute(update(audit).where(audit.c.profile_id == profile_id).values(
                value=None, profile_id=None, namespace=None, policy=FORGOTTEN))
            return result.rowcount
