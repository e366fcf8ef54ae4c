"""Card views (who looked at whose profile) and sidebar session bindings.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_views",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("agent_id", sa.String(40), nullable=False),
        sa.Column("record_key", sa.String(120), nullable=False),
        sa.Column("profile_id", sa.String(100)),
    )
    op.create_index("ix_card_views_at", "card_views", ["at"])
    op.create_index("ix_card_views_agent_id", "card_views", ["agent_id"])
    op.create_index("ix_card_views_record_key", "card_views", ["record_key"])
    op.create_table(
        "sidebar_bindings",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.String(40), nullable=False),
        sa.Column("record_key", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sidebar_bindings_agent_id", "sidebar_bindings", ["agent_id"])


def downgrade() -> None:
    op.drop_table("sidebar_bindings")
    op.drop_table("card_views")
