"""ap_followers.server and ap_reactions.server: the server (host) of the remote actor, so that
what one server can make the inbox keep is counted by an index

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 23:10:00.000000
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def _server(actor: str) -> str:
    return urlsplit(actor).netloc.lower()[:300]


def _fill(table: str, column: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table}")).all()
    for row_id, actor in rows:
        bind.execute(
            sa.text(f"UPDATE {table} SET server = :server WHERE id = :id"),
            {"server": _server(actor), "id": row_id},
        )


def upgrade() -> None:
    with op.batch_alter_table("ap_followers") as batch:
        batch.add_column(sa.Column("server", sa.String(300), nullable=False, server_default=""))
        batch.create_index("ix_ap_followers_server", ["server"])
    with op.batch_alter_table("ap_reactions") as batch:
        batch.add_column(sa.Column("server", sa.String(300), nullable=False, server_default=""))
        batch.create_index("ix_ap_reactions_article_server", ["article_id", "server"])
    _fill("ap_followers", "follower")
    _fill("ap_reactions", "actor")


def downgrade() -> None:
    with op.batch_alter_table("ap_reactions") as batch:
        batch.drop_index("ix_ap_reactions_article_server")
        batch.drop_column("server")
    with op.batch_alter_table("ap_followers") as batch:
        batch.drop_index("ix_ap_followers_server")
        batch.drop_column("server")
