"""The store: the database engine, its migrations, and the queries over the tables (jobs, ledger, settings).

Every write is one short transaction. The job queries live in ``jobs``, the audit ledger in ``ledger``.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, delete, event, insert, select, text, update
from sqlalchemy.engine import Engine

from connector.store.clock import utcnow
from connector.store.jobs import CLAIM_EARLY, LEASE, JobQueries, JobRow
from connector.store.ledger import FORGOTTEN, IDENTITY_POLICY, MIN_MATCHED_VALUE, AuditEntry, LedgerQueries, Person
from connector.store.tables import audit, deliveries, jobs, settings_kv
from connector.store.views import CardViews

__all__ = ["CLAIM_EARLY", "FORGOTTEN", "IDENTITY_POLICY", "LEASE", "MIGRATIONS", "MIN_MATCHED_VALUE", "AuditEntry",
           "JobRow", "Person", "Store", "migrate", "utcnow"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Store(JobQueries, LedgerQueries):
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
