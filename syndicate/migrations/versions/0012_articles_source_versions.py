"""articles remember the CMS's time of the newest version applied, and of an unpublish

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_updated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("source_unpublished_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("source_unpublished_at")
        batch_op.drop_column("source_updated_at")
