"""channel_health: the regular credential checks of every channel

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndicate.models import UTCDateTime

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_health",
        sa.Column("channel", sa.String(63), primary_key=True),
        sa.Column("verdict", sa.String(16), nullable=False, server_default=""),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
        sa.Column("failing_since", UTCDateTime(), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("channel_health")
