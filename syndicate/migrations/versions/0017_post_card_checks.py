"""posts keep what the platform's crawler found on the article page

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preflight", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("preflight_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("preflight_at")
        batch_op.drop_column("preflight")
