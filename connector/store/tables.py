"""Table definitions (SQLAlchemy Core). SQLite by default, PostgreSQL for scale-out."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

deliveries = Table(
    "deliveries", metadata,
    Column("key", String(200), primary_key=True),  # provider:invocation id
    Column("record_key", String(120), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

jobs = Table(
    "jobs", metadata,
    Column("record_key", String(120), primary_key=True),  # provider:type:id, one row per CRM record
    Column("provider", String(20), nullable=False),
    Column("status", String(20), nullable=False),  # pending | running | done | dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("note_written", Boolean, nullable=False, default=False),
    Column("outcome", String(40)),
    Column("last_error", String(500)),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("lease_until", DateTime(timezone=True)),
    Column("lease_token", String(32)),  # the latest claim's: a worker settles the job only while it is still its own
    Column("rerun", Boolean),  # a delivery asked for a fresh run while the job ran: settled, it is pending again
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("record_key", String(120), nullable=False, index=True),
    Column("target", String(200), nullable=False),
    Column("value", Text),
    Column("policy", String(40)),
    Column("profile_id", String(100)),
    Column("profile_last_modified", DateTime(timezone=True)),
    Column("namespace", String(60)),
)

settings_kv = Table(
    "settings_kv", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JSON),
)

card_views = Table(
    "card_views", metadata,  # who looked at whose profile: ids only, never an identity value
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("provider", String(20), nullable=False),
    Column("agent_id", String(40), nullable=False, index=True),
    Column("record_key", String(120), nullable=False, index=True),
    Column("profile_id", String(100)),
)

sidebar_bindings = Table(
    "sidebar_bindings", metadata,  # a sidebar session is bound to the first record it asks for
    Column("session_id", String(64), primary_key=True),
    Column("agent_id", String(40), nullable=False, index=True),
    Column("record_key", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
