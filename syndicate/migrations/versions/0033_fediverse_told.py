"""ap_objects.told: the inboxes of accounts elsewhere an article mentioned, which hear of its
Updates and its Delete as well

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 23:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ap_objects") as batch:
        batch.add_column(sa.Column("told", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("ap_objects") as batch:
        batch.drop_column("told")
