"""index articles whose feeds are behind

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 07:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index(
            "ix_articles_feeds_behind",
            ["changed_at"],
            unique=False,
            postgresql_where=sa.text("feeds_version < version"),
            sqlite_where=sa.text("feeds_version < version"),
        )


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_feeds_behind")
