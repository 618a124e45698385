"""purges of edge caches, recorded before they are tried

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "purges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cache", sa.String(length=63), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purges")),
    )
    op.create_index("ix_purges_status_next", "purges", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_purges_status_next", table_name="purges")
    op.drop_table("purges")
