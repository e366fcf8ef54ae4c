"""Queries over the tables; every write is one short transaction."""
from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, delete, event, func, insert, select, text, true, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from connector.store.tables import audit, deliveries, jobs, settings_kv
from connector.store.views import CardViews

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LEASE = timedelta(seconds=120)
CLAIM_EARLY = timedelta(seconds=1)  # scheduled tasks may start a moment before their time
IDENTITY_POLICY = "identity"  # audit rows holding the SHA-256 of an identity of the person written for
FORGOTTEN = "forgotten"
MIN_MATCHED_VALUE = 5  # an audit value equal to the identity counts only if it is not a short, common value

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class _Seen(Exception):
    """A delivery key is already recorded."""


@dataclass(frozen=True)
class JobRow:
    record_key: str
    provider: str
    status: str
    attempts: int
    note_written: bool
    outcome: str | None
    last_error: str | None
    next_attempt_at: datetime | None
    updated_at: datetime
    lease: str | None = None  # the claim's token: pass it to finish, retry_later, dead or release


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


class Store:
    def __init__(self, url: str, *, clock: Callable[[], datetime] = utcnow, lease: timedelta = LEASE) -> None:
        self.lease = lease
        if url.startswith("sqlite:///"):
            path = url[len("sqlite:///"):]
            if path and path != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]  # psycopg 3, not the psycopg2 default
        # A server connection can drop (PostgreSQL restarts): ping it on checkout. A SQLite file cannot,
        # and the ping would cost every request a round trip.
        self.engine: Engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.clock = clock
        migrate(self.engine)
        self.views = CardViews(self.engine, lambda: self.clock())

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(select(1))

    # -- deliveries and jobs -----------------------------------------------------------------

    def accept(self, *, delivery_key: str, record_key: str, provider: str, rerun: bool = False,
               also_keys: Iterable[str] = ()) -> str:
        """Record a delivery and make its job pending, atomically.

        Returns ``duplicate`` (this delivery, or any of ``also_keys``, was seen before), ``queued``
        (the job is pending now) or ``done`` (the record was already enriched; nothing to do unless
        ``rerun``). Every key is recorded, so a repeat of any one of them is a duplicate.
        """
        now = self.clock()
        keys = list(dict.fromkeys([delivery_key, *also_keys]))
        try:
            with self.engine.begin() as conn:
                try:
                    conn.execute(insert(deliveries), [{"key": k, "record_key": record_key, "received_at": now}
                                                      for k in keys])
                except IntegrityError:
                    raise _Seen from None  # leaving the block rolls back the keys inserted before the clash
                return self._make_pending(conn, record_key=record_key, provider=provider, rerun=rerun, now=now)
        except _Seen:
            return "duplicate"

    @staticmethod
    def _make_pending(conn: Connection, *, record_key: str, provider: str, rerun: bool, now: datetime) -> str:
        row = conn.execute(select(jobs.c.status).where(jobs.c.record_key == record_key)).first()
        if row is None:
            conn.execute(insert(jobs).values(record_key=record_key, provider=provider, status="pending",
                                             attempts=0, note_written=False, next_attempt_at=now,
                                             created_at=now, updated_at=now))
            return "queued"
        if row.status in ("pending", "running") or (row.status == "done" and not rerun):
            return "queued" if row.status != "done" else "done"
        conn.execute(update(jobs).where(jobs.c.record_key == record_key).values(
            status="pending", attempts=0, next_attempt_at=now, updated_at=now, last_error=None))
        return "queued"

    def claim(self, record_key: str) -> JobRow | None:
        """Take the job for one worker (a lease); None if it is done, dead, held by another, or not due yet
        (a job waiting out a back-off or a rate limit is not run early by a duplicate enqueue)."""
        now = self.clock()
        due = (jobs.c.next_attempt_at.is_(None)) | (jobs.c.next_attempt_at <= now + CLAIM_EARLY)
        with self.engine.begin() as conn:
            result = conn.execute(update(jobs).where(
                jobs.c.record_key == record_key,
                ((jobs.c.status == "pending") & due) | ((jobs.c.status == "running") & (jobs.c.lease_until < now)),
            ).values(status="running", lease_until=now + self.lease, lease_token=_token(),
                     attempts=jobs.c.attempts + 1, updated_at=now))
            if result.rowcount != 1:
                return None
            return _job(conn.execute(select(jobs).where(jobs.c.record_key == record_key)).one())

    def claim_now(self, record_key: str, *, provider: str) -> tuple[JobRow, str | None] | None:
        """Take the record's lease for a write the agent confirmed, whatever the job's schedule: None while
        another writer (the queue job or another confirmation) holds it. Returns the row and the status it
        had (None: there was no job), for ``release`` when nothing is written."""
        now = self.clock()
        try:
            with self.engine.begin() as conn:
                row = conn.execute(select(jobs).where(jobs.c.record_key == record_key)).first()
                if row is None:
                    try:
                        conn.execute(insert(jobs).values(record_key=record_key, provider=provider, status="running",
                                                         attempts=0, note_written=False, next_attempt_at=now,
                                                         lease_until=now + self.lease, lease_token=_token(),
                                                         created_at=now, updated_at=now))
                    except IntegrityError:
                        raise _Seen from None  # another writer created it a moment ago
                    previous = None
                else:
                    free = (jobs.c.status != "running") | (jobs.c.lease_until < now)
                    result = conn.execute(update(jobs).where(
                        jobs.c.record_key == record_key, jobs.c.status == row.status, free,
                    ).values(status="running", lease_until=now + self.lease, lease_token=_token(), updated_at=now))
                    if result.rowcount != 1:
                        return None
                    previous = "pending" if row.status == "running" else row.status
                return _job(conn.execute(select(jobs).where(jobs.c.record_key == record_key)).one()), previous
        except _Seen:
            return None

    # finish, retry_later, dead and release settle a claimed job. Given the claim's ``lease`` (JobRow.lease) they
    # change nothing, and return False, once another claim has taken the job since: a worker that stalled past its
    # lease must not overwrite the state of the worker that took over. Without ``lease`` they settle the job
    # whoever holds it (the behaviour before lease tokens).

    def release(self, record_key: str, *, previous: str | None, lease: str | None = None) -> bool:
        """Give back a lease taken by ``claim_now`` when nothing was written: the job is as it was."""
        if previous is None:
            with self.engine.begin() as conn:
                result = conn.execute(delete(jobs).where(jobs.c.record_key == record_key, jobs.c.status == "running",
                                                         _held(lease)))
            return _settled(result.rowcount, record_key, lease)
        return self._set(record_key, lease, status=previous, lease_until=None)

    def finish(self, record_key: str, *, outcome: str, note_written: bool, lease: str | None = None) -> bool:
        return self._set(record_key, lease, status="done", outcome=outcome, note_written=note_written,
                         lease_until=None, last_error=None)

    def retry_later(self, record_key: str, *, delay: float, error: str, lease: str | None = None) -> bool:
        return self._set(record_key, lease, status="pending", lease_until=None, last_error=error[:500],
                         next_attempt_at=self.clock() + timedelta(seconds=delay))

    def dead(self, record_key: str, *, error: str, lease: str | None = None) -> bool:
        return self._set(record_key, lease, status="dead", lease_until=None, last_error=error[:500],
                         outcome="dead_letter")

    def requeue(self, record_key: str) -> bool:
        """Put a dead (or done) job back to pending, with fresh attempts (``jobs retry``)."""
        now = self.clock()
        with self.engine.begin() as conn:
            result = conn.execute(update(jobs).where(jobs.c.record_key == record_key,
                                                     jobs.c.status.in_(("dead", "done"))).values(
                status="pending", attempts=0, next_attempt_at=now, updated_at=now, lease_until=None))
            return result.rowcount == 1

    def due(self, *, grace: timedelta = timedelta(seconds=30), limit: int = 500) -> list[str]:
        """Jobs a sweeper should enqueue again: pending past their time, or running past their lease
        (their worker died). They become pending as of now, so the next sweep does not send them again. Their lease
        token stays: a worker that was only slow may still settle the job, until another claim takes it."""
        now = self.clock()
        with self.engine.begin() as conn:
            keys = [r.record_key for r in conn.execute(select(jobs.c.record_key).where(
                ((jobs.c.status == "pending") & (jobs.c.next_attempt_at < now - grace))
                | ((jobs.c.status == "running") & (jobs.c.lease_until < now))
            ).limit(limit)).all()]
            if keys:
                conn.execute(update(jobs).where(jobs.c.record_key.in_(keys)).values(
                    status="pending", next_attempt_at=now, lease_until=None, updated_at=now))
        return keys

    def job_counts(self) -> tuple[dict[str, int], float]:
        """Jobs by status, and the age in seconds of the oldest pending one (0 when none)."""
        with self.engine.connect() as conn:
            counts = {r.status: r.n for r in conn.execute(
                select(jobs.c.status, func.count().label("n")).group_by(jobs.c.status)).all()}
            oldest = conn.execute(select(func.min(jobs.c.created_at)).where(jobs.c.status == "pending")).scalar()
        since = _aware(oldest)
        age = (self.clock() - since).total_seconds() if since is not None else 0.0
        return counts, max(0.0, age)

    def job(self, record_key: str) -> JobRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.record_key == record_key)).first()
        return _job(row) if row else None

    def list_jobs(self, *, status: str | None = None, limit: int = 100) -> list[JobRow]:
        query = select(jobs).order_by(jobs.c.updated_at.desc()).limit(limit)
        if status:
            query = query.where(jobs.c.status == status)
        with self.engine.connect() as conn:
            return [_job(r) for r in conn.execute(query).all()]

    def _set(self, record_key: str, lease: str | None, **values: Any) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(update(jobs).where(jobs.c.record_key == record_key, _held(lease)).values(
                updated_at=self.clock(), lease_token=None, **values))
        return _settled(result.rowcount, record_key, lease)

    # -- audit ledger --------------------------------------------------------------------------

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

    def purge(self, *, older_than: timedelta) -> dict[str, int]:
        """Retention: drop audit rows, card views, finished or dead jobs and delivery ids older than
        ``older_than`` (and sidebar session bindings after a day)."""
        cutoff = self.clock() - older_than
        with self.engine.begin() as conn:
            return {
                "audit": conn.execute(delete(audit).where(audit.c.at < cutoff)).rowcount,
                "jobs": conn.execute(delete(jobs).where(jobs.c.status.in_(("done", "dead")),
                                                        jobs.c.updated_at < cutoff)).rowcount,
                "deliveries": conn.execute(delete(deliveries).where(deliveries.c.received_at < cutoff)).rowcount,
                **self.views.purge(conn, cutoff=cutoff),
            }

    # -- small settings stored by install helpers ------------------------------------------

    def put_setting(self, key: str, value: Any) -> None:
        with self.engine.begin() as conn:
            updated = conn.execute(update(settings_kv).where(settings_kv.c.key == key).values(value=value))
            if updated.rowcount == 0:
                conn.execute(insert(settings_kv).values(key=key, value=value))

    def get_setting(self, key: str) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(select(settings_kv.c.value).where(settings_kv.c.key == key)).first()
        return row.value if row else None


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; concurrent starters wait on the database's lock."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(4242)"))  # one migrator at a time
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def _job(row: Any) -> JobRow:
    m = row._mapping
    return JobRow(m["record_key"], m["provider"], m["status"], m["attempts"], bool(m["note_written"]),
                  m["outcome"], m["last_error"], _aware(m["next_attempt_at"]), _aware(m["updated_at"]) or utcnow(),
                  m["lease_token"])


def _token() -> str:
    return secrets.token_hex(16)


def _held(lease: str | None) -> Any:
    """The condition that the claim holding ``lease`` is still the job's latest (any holder when None)."""
    return true() if lease is None else jobs.c.lease_token == lease


def _settled(rowcount: int, record_key: str, lease: str | None) -> bool:
    if rowcount != 1 and lease is not None:
        log.warning("store.job.lease_lost", extra={"job": record_key})
    return rowcount == 1


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite drops the zone
        return moment.replace(tzinfo=timezone.utc)
    return moment


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
