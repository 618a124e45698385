"""feed documents: compress bodies with lz4, store their gzip copies as they are

Every feed rebuild writes about twenty documents of tens of kilobytes. PostgreSQL's default
pglz compression of those values is a large share of the rebuild's time; lz4 is several times
faster at a similar size for XML and JSON. The gzip copies are compressed already, so
PostgreSQL is told not to try again. Only PostgreSQL has these settings; on a server built
without lz4 the bodies keep pglz.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _version(bind: Connection) -> tuple[int, ...]:
    return tuple(int(part) for part in (bind.dialect.server_version_info or ())[:2])


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE feed_documents ALTER COLUMN body_gzip SET STORAGE EXTERNAL")
    if _version(bind) < (14,):
        return
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("ALTER TABLE feed_documents ALTER COLUMN body SET COMPRESSION lz4")
    except DBAPIError:  # "compression method lz4 not supported"
        pass


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE feed_documents ALTER COLUMN body_gzip SET STORAGE EXTENDED")
    if _version(bind) >= (14,):
        op.execute("ALTER TABLE feed_documents ALTER COLUMN body SET COMPRESSION pglz")
