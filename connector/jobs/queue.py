"""The Huey queue: one task (enrich a CRM record), consumer threads, and a sweeper.

The job table in the store is the source of truth: a delivery first makes its job row pending,
then Huey carries the job id to a worker. Huey's SQLite queue takes a task off the queue when a
worker starts it, so a worker that dies mid-job would lose it; the sweeper re-enqueues every
pending job past its time and every running job past its lease, which makes the queue
at-least-once. Enrichment is idempotent, so the effect is exactly-once.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from huey import SqliteHuey
from huey.api import Huey

from connector.config import Settings
from connector.errors import ConfigError

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 15.0
HOUSEKEEPING_EVERY_S = 3600.0


def build_huey(settings: Settings, *, immediate: bool = False, name: str = "connector") -> Huey:
    """SQLite (one machine) or Redis (``redis://``: any number of workers on any number of hosts)."""
    if settings.queue_url.startswith(("redis://", "rediss://")):
        from huey import RedisHuey

        return RedisHuey(name=name, url=settings.queue_url, results=False, immediate=immediate)
    path = settings.sqlite_path("queue_url")
    if path is None:
        raise ConfigError("CONNECTOR_QUEUE_URL: expected sqlite:///path or redis://host:port/db")
    if path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return SqliteHuey(name=name, filename=path, results=False, immediate=immediate)


class JobQueue:
    def __init__(self, huey: Huey, *, handler: Callable[[str], object], due: Callable[[], list[str]],
                 housekeeping: Callable[[], object] | None = None, sweep_every_s: float = SWEEP_EVERY_S) -> None:
        self._sweep_every_s = sweep_every_s
        self.huey = huey
        self._due = due
        self._housekeeping = housekeeping
        self._last_housekeeping = 0.0
        self._task = huey.task(name="enrich")(handler)
        self._consumer: Any = None
        self._stop = threading.Event()

    def enqueue(self, record_key: str, *, delay: float = 0.0) -> None:
        if delay > 0:
            self._task.schedule(args=(record_key,), delay=delay)
        else:
            self._task(record_key)

    def pending(self) -> int:
        return self.huey.pending_count() + self.huey.scheduled_count()

    def sweep(self) -> int:
        """Enqueue again every job the store says is overdue (lost with a crashed worker)."""
        keys = self._due()
        for key in keys:
            self.enqueue(key)
        if keys:
            log.info("jobs.sweep.requeued", extra={"count": len(keys)})
        return len(keys)

    def start(self, *, threads: int) -> None:
        """Consumer threads and the sweeper inside this process (``serve``, ``demo``, ``worker``)."""
        consumer = self.huey.create_consumer(workers=threads, worker_type="thread", periodic=False,
                                             initial_delay=0.05, max_delay=0.5, check_worker_health=False,
                                             shutdown_timeout=10)
        # Not Consumer.start(): it installs signal handlers, which belong to the process, not to us.
        consumer.scheduler.start()
        for _, worker in consumer.worker_threads:
            worker.start()
        self._consumer = consumer
        threading.Thread(target=self._sweep_loop, name="jobs-sweeper", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        if self._consumer is not None:
            self._consumer.stop(graceful=True)
            self._consumer = None

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self._sweep_every_s):
            try:
                self.sweep()
                if self._housekeeping and time.monotonic() - self._last_housekeeping > HOUSEKEEPING_EVERY_S:
                    self._last_housekeeping = time.monotonic()
                    self._housekeeping()  # retention: expired audit rows, jobs and delivery ids
            except Exception:  # the sweeper must outlive a database hiccup
                log.exception("jobs.sweep.failed")
