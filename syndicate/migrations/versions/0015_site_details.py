"""site details set in the browser

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 11:00:00.000000
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "site_details",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("feeds_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_details")),
    )
    # The one row exists from the start, so that saving always updates it under a lock.
    op.bulk_insert(
        table,
        [
            {
                "id": 1,
                "title": "",
                "description": "",
                "language": "",
                "link": "",
                "updated_at": datetime(2026, 12, 3),
                "updated_by": "",
                "version": 0,
                "feeds_version": 0,
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("site_details")
