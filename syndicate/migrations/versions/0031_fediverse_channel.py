"""ap_objects.change_key: the post or change that last went out, so a repeated call writes
nothing new; ap_deliveries.paced: the delivery holds a reserved turn at its server

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ap_objects") as batch:
        batch.add_column(sa.Column("change_key", sa.String(200), nullable=False, server_default=""))
    with op.batch_alter_table("ap_deliveries") as batch:
        batch.add_column(
            sa.Column("paced", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("ap_deliveries") as batch:
        batch.drop_column("paced")
    with op.batch_alter_table("ap_objects") as batch:
        batch.drop_column("change_key")
