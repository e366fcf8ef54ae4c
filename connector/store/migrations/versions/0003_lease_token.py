"""A token per job lease, so only the worker still holding the lease can settle the job; and a rerun
flag, so a delivery that arrives while the job runs is not lost when it is settled.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("lease_token", sa.String(32)))
    op.add_column("jobs", sa.Column("rerun", sa.Boolean()))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lease_token")
        batch.drop_column("rerun")
