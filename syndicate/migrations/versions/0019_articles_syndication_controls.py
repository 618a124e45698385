"""articles keep the CMS's syndication controls and their embargo

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndicate.models import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("syndication", sa.JSON(), nullable=False, server_default="{}")
        )
        batch_op.add_column(sa.Column("not_before", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("not_before")
        batch_op.drop_column("syndication")
