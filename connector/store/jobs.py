"""The job of each CRM record: accepted deliveries, claims with a lease, and how a job is settled."""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, true, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from connector.store.clock import aware, utcnow
from connector.store.tables import deliveries, jobs

LEASE = timedelta(seconds=120)
CLAIM_EARLY = timedelta(seconds=1)  # scheduled tasks may start a moment before their time
RERUN_BACKDATE = timedelta(minutes=5)  # beyond the sweeper's grace: a rerun is queued at its next sweep

log = logging.getLogger(__name__)


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


class JobQueries:
    """The job queries of ``Store``; every write is one short transaction."""

    engine: Engine
    clock: Callable[[], datetime]
    lease: timedelta

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
        if row.status == "running" and rerun:  # the running job may have read the record before this change
            conn.execute(update(jobs).where(jobs.c.record_key == record_key, jobs.c.status == "running").values(
                rerun=True))
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
        """Give back a lease taken by ``claim_now`` when nothing was written: the job is as it was (or
        pending, when a delivery asked for a run meanwhile)."""
        if previous is None:
            with self.engine.begin() as conn:
                if self._rerun(conn, record_key, lease):
                    return True
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
        since = aware(oldest)
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
            if values.get("status") != "pending" and self._rerun(conn, record_key, lease, **values):
                return True
            result = conn.execute(update(jobs).where(jobs.c.record_key == record_key, _held(lease)).values(
                updated_at=self.clock(), lease_token=None, rerun=None, **values))
        return _settled(result.rowcount, record_key, lease)

    def _rerun(self, conn: Connection, record_key: str, lease: str | None, **values: Any) -> bool:
        """Settle a job a delivery asked to run again as pending, due at once: its ``next_attempt_at`` is
        back-dated past the sweeper's grace, so the next sweep queues it (its queue message was skipped)."""
        now = self.clock()
        kept = {k: v for k, v in values.items() if k in ("outcome", "note_written", "last_error")}
        result = conn.execute(update(jobs).where(jobs.c.record_key == record_key, _held(lease),
                                                 jobs.c.rerun.is_(True)).values(
            status="pending", attempts=0, lease_until=None, lease_token=None, rerun=None, updated_at=now,
            next_attempt_at=now - RERUN_BACKDATE, **kept))
        if result.rowcount == 1:
            log.info("store.job.rerun", extra={"job": record_key})
        return result.rowcount == 1


def _job(row: Any) -> JobRow:
    m = row._mapping
    return JobRow(m["record_key"], m["provider"], m["status"], m["attempts"], bool(m["note_written"]),
                  m["outcome"], m["last_error"], aware(m["next_attempt_at"]), aware(m["updated_at"]) or utcnow(),
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
