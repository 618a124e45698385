"""channel OAuth tokens, and posts to look for before sending again

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 06:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import syndicate.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_tokens",
        sa.Column("channel", sa.String(length=63), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("expires_at", syndicate.models.UTCDateTime(), nullable=True),
        sa.Column("refreshed_at", syndicate.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_channel_tokens")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "look_before_sending", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("look_before_sending")
    op.drop_table("channel_tokens")
