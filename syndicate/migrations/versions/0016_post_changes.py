"""edits and deletes of sent posts, recorded before they are made

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("look_first", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_changes_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_changes")),
    )
    op.create_index(op.f("ix_post_changes_post_id"), "post_changes", ["post_id"])
    op.create_index("ix_post_changes_status_next", "post_changes", ["status", "next_attempt_at"])
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("action", sa.String(length=16), nullable=False, server_default="send")
        )
        batch_op.add_column(sa.Column("change_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_deliveries_change_id"), ["change_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_deliveries_change_id_post_changes"),
            "post_changes",
            ["change_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_deliveries_change_id_post_changes"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_deliveries_change_id"))
        batch_op.drop_column("change_id")
        batch_op.drop_column("action")
    op.drop_index("ix_post_changes_status_next", table_name="post_changes")
    op.drop_index(op.f("ix_post_changes_post_id"), table_name="post_changes")
    op.drop_table("post_changes")
