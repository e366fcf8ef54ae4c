"""The job runner: one record's enrichment, whatever the CRM — claim, draft, write, finish; or retry
with back-off (or at the remote's Retry-After), or the dead-letter list.

Runs in queue workers. Retryable failures (429, 409, 5xx, timeouts) are rescheduled; after the
configured attempts, or on a fatal error, the job goes to the dead-letter list, from which
`aep-connector jobs retry` replays it. The provider's ``Connected`` does the CRM's part.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from connector import errors
from connector.core.jobkey import JobKey
from connector.logs import bind, unbind
from connector.metrics import ENRICHMENTS, RATE_LIMIT_WAITS
from connector.providers import Connected, configured, parse_key
from connector.store.db import JobRow, Store

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 300.0
RATE_LIMIT_PATIENCE = 20  # waiting for a rate-limit window is not the job failing: it gets many more turns


def backoff(attempt: int) -> float:
    return min(MAX_BACKOFF_S, 2.0 * (2 ** max(0, attempt - 1)))


class Jobs:
    def __init__(self, *, store: Store, providers: Mapping[str, Connected], max_attempts: int,
                 reschedule: Callable[[str, float], None]) -> None:
        self.store = store
        self.providers = providers
        self.max_attempts = max_attempts
        self.reschedule = reschedule

    def run(self, key: str) -> str:
        """Process one job; returns what became of it (done outcome, retry, dead, skipped)."""
        started = time.perf_counter()
        token = bind(job=key)
        try:
            outcome, provider = self._run(key)
        finally:
            unbind(token)
        ENRICHMENTS.labels(provider=provider, outcome=outcome).observe(time.perf_counter() - started)
        return outcome

    def connected(self, key: JobKey) -> Connected:
        return configured(self.providers, key.provider)

    def _run(self, text: str) -> tuple[str, str]:
        try:
            key: JobKey | None = parse_key(text)  # a record type its provider enriches
        except ValueError:
            key = None
        provider = key.provider if key is not None else "unknown"
        job = self.store.claim(text)
        if job is None:
            return "skipped", provider
        if key is None:
            bad = errors.ConnectorError(f"not a record key: {text[:80]!r}", code="unknown_job")
            return self._dead(job, bad), provider
        try:
            outcome, note_written = self.enrich(key, job)
        except errors.UpstreamError as exc:
            return self._failed(job, exc), key.provider
        except errors.ConnectorError as exc:
            return self._dead(job, exc), key.provider
        if not self.store.finish(text, outcome=outcome, note_written=note_written, lease=job.lease):
            return "lease_lost", key.provider  # another worker claimed it after our lease ran out: its result stands
        log.info("enrichment.done", extra={"job": text, "outcome": outcome})
        return outcome, key.provider

    def enrich(self, key: JobKey, job: JobRow) -> tuple[str, bool]:
        """Reserve the write's request budget first (no read that cannot be followed by its write), then
        draft and write; (outcome, note written)."""
        connected = self.connected(key)
        connected.reserve()
        draft = connected.draft(key, note_written=job.note_written)
        if draft.outcome is not None:
            return draft.outcome, job.note_written
        outcome, noted = connected.write(draft)
        return outcome, job.note_written or noted

    def _dead(self, job: JobRow, exc: errors.ConnectorError) -> str:
        if not self.store.dead(job.record_key, error=f"{exc.code}: {exc.message}", lease=job.lease):
            return "lease_lost"
        log.warning("enrichment.dead", extra={"job": job.record_key, "reason": exc.code, "attempts": job.attempts})
        return "dead"

    def _failed(self, job: JobRow, exc: errors.UpstreamError) -> str:
        limit = self.max_attempts * RATE_LIMIT_PATIENCE if isinstance(exc, errors.UpstreamRateLimited) \
            else self.max_attempts
        if not exc.retryable or job.attempts >= limit:
            return self._dead(job, exc)
        delay = exc.retry_after if exc.retry_after is not None else backoff(job.attempts)
        if isinstance(exc, errors.UpstreamRateLimited):
            RATE_LIMIT_WAITS.labels(service=exc.service).inc()
        if isinstance(exc, errors.UpstreamConflict):
            delay = min(delay, 1.0)
        if not self.store.retry_later(job.record_key, delay=delay, error=f"{exc.code}: {exc.message}",
                                      lease=job.lease):
            return "lease_lost"
        self.reschedule(job.record_key, delay)
        log.info("enrichment.retry", extra={"job": job.record_key, "reason": exc.code, "delay": delay})
        return "retry"
