"""posts.sequence: besides the composed post (0), an article may have extra posts per channel

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_constraint("uq_posts_article_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_posts_article_id_channel_sequence", ["article_id", "channel", "sequence"]
        )


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_posts_article_id_channel_sequence", type_="unique")
        batch_op.create_unique_constraint("uq_posts_article_id", ["article_id", "channel"])
        batch_op.drop_column("sequence")
