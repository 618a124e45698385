"""connect_attempts and oauth_clients: connecting accounts through the platforms' consent pages

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 20:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndicate.models import UTCDateTime

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connect_attempts",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(63), nullable=False),
        sa.Column("server", sa.String(300), nullable=False, server_default=""),
        sa.Column("code_verifier", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "oauth_clients",
        sa.Column("server", sa.String(300), primary_key=True),
        sa.Column("redirect_uri", sa.String(500), primary_key=True),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("client_secret", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("oauth_clients")
    op.drop_table("connect_attempts")
