"""ap_actors, ap_followers, ap_remote_keys, ap_objects, ap_deliveries: the fediverse

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from syndicate.models import UTCDateTime

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ap_actors",
        sa.Column("name", sa.String(30), primary_key=True),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "ap_followers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("actor", sa.String(30), nullable=False),
        sa.Column("follower", sa.String(500), nullable=False),
        sa.Column("inbox", sa.String(500), nullable=False),
        sa.Column("shared_inbox", sa.String(500), nullable=False, server_default=""),
        sa.Column("follow_id", sa.String(500), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="accepted"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("actor", "follower"),
    )
    op.create_index("ix_ap_followers_actor", "ap_followers", ["actor"])
    op.create_table(
        "ap_remote_keys",
        sa.Column("key_id", sa.String(500), primary_key=True),
        sa.Column("owner", sa.String(500), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "ap_objects",
        sa.Column("article_id", sa.String(128), primary_key=True),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("state", sa.String(16), nullable=False, server_default="published"),
        sa.Column("actors", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "ap_reactions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(500), nullable=False),
        sa.Column("activity", sa.String(500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("url", sa.String(500), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("article_id", "kind", "actor", "activity"),
    )
    op.create_index("ix_ap_reactions_article_id", "ap_reactions", ["article_id"])
    op.create_table(
        "ap_hosts",
        sa.Column("host", sa.String(300), primary_key=True),
        sa.Column("failing_since", UTCDateTime(), nullable=True),
        sa.Column("dropped", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("last_success", UTCDateTime(), nullable=True),
        sa.Column("next_allowed_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "ap_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("actor", sa.String(30), nullable=False),
        sa.Column("inbox", sa.String(500), nullable=False),
        sa.Column("activity", sa.JSON(), nullable=False),
        sa.Column("article_id", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_ap_deliveries_status", "ap_deliveries", ["status"])
    op.create_index("ix_ap_deliveries_article_id", "ap_deliveries", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_ap_deliveries_article_id", "ap_deliveries")
    op.drop_index("ix_ap_deliveries_status", "ap_deliveries")
    op.drop_table("ap_deliveries")
    op.drop_table("ap_objects")
    op.drop_table("ap_hosts")
    op.drop_index("ix_ap_reactions_article_id", "ap_reactions")
    op.drop_table("ap_reactions")
    op.drop_table("ap_remote_keys")
    op.drop_index("ix_ap_followers_actor", "ap_followers")
    op.drop_table("ap_followers")
    op.drop_table("ap_actors")
