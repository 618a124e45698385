"""feeds remember, for a while, the entries an unpublish took out of them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_tombstones",
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("article_id", sa.String(length=128), nullable=False),
        sa.Column("entry_id", sa.Text(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_feed_tombstones_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scope", "article_id", name=op.f("pk_feed_tombstones")),
    )
    op.create_index("ix_feed_tombstones_scope_deleted", "feed_tombstones", ["scope", "deleted_at"])


def downgrade() -> None:
    op.drop_index("ix_feed_tombstones_scope_deleted", table_name="feed_tombstones")
    op.drop_table("feed_tombstones")
