"""Feed rebuilds take turns: on PostgreSQL one runs at a time for the whole installation, under
an advisory lock held by its connection (let go with the connection if its worker dies).

Two rebuilds at once would take the same waiting articles along, render the same feeds twice
and wait on each other's row locks; so a rebuild that finds the turn taken leaves its article
to the one running, which goes on until no article is behind. SQLite takes no turns: its
writers wait for each other anyway, and every rebuild runs as it comes.
"""

from __future__ import annotations

import logging
import zlib

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
# The advisory lock's number, the same in every process (advisory locks are per database).
TURN = zlib.crc32(b"syndicate.feeds.rebuild")


class RebuildTurns:
    def __init__(self, shared: sessionmaker[Session]) -> None:
        """`shared`: sessions on one connection (db.one_connection), which holds the turn."""
        self.shared = shared
        self.connection: Connection = shared.kw["bind"]
        self.kept = self.connection.dialect.name == "postgresql"

    def take(self) -> bool:
        """Whether this rebuild has the turn now (always, where no turns are kept)."""
        if not self.kept:
            return True
        with self.shared() as session:
            taken = bool(session.scalar(text("SELECT pg_try_advisory_lock(:turn)"), {"turn": TURN}))
            session.commit()
        return taken

    def give_back(self) -> None:
        if not self.kept:
            return
        try:
            with self.shared() as session:
                session.scalar(text("SELECT pg_advisory_unlock(:turn)"), {"turn": TURN})
                session.commit()
        except Exception:
            # A turn never stays with a pooled connection: closing it lets the lock go.
            log.warning("could not give the rebuild turn back; closing its connection")
            self.connection.invalidate()
            raise
