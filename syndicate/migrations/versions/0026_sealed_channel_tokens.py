"""channel_tokens: access and refresh tokens encrypted at rest with SYNDICATE_SECRET_KEY

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 18:00:00.000000
"""

from __future__ import annotations

from alembic import op

from syndicate.secretbox import reseal_columns

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.exec_driver_sql("SELECT count(*) FROM channel_tokens").scalar():
        reseal_columns(connection, "channel_tokens", ["channel"], ["access_token", "refresh_token"])


def downgrade() -> None:
    """The tokens stay encrypted: a downgraded service cannot read them, and its channels need
    their tokens set again."""
