"""Deliveries, jobs, audit ledger and stored settings.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("record_key", sa.String(120), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("record_key", sa.String(120), primary_key=True),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("note_written", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.String(40)),
        sa.Column("last_error", sa.String(500)),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record_key", sa.String(120), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("value", sa.Text),
        sa.Column("policy", sa.String(40)),
        sa.Column("profile_id", sa.String(100)),
        sa.Column("profile_last_modified", sa.DateTime(timezone=True)),
        sa.Column("namespace", sa.String(60)),
    )
    op.create_index("ix_audit_record_key", "audit", ["record_key"])
    op.create_table(
        "settings_kv",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.JSON),
    )


def downgrade() -> None:
    for table in ("settings_kv", "audit", "jobs", "deliveries"):
        op.drop_table(table)
