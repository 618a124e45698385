"""Rendered feeds in the database: written by workers, read byte for byte by the web app."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from syndicate.models import FeedDocument


def lock(session: Session, key: str, now: datetime) -> FeedDocument:
    """The feed's row, created if needed and locked so concurrent rebuilds take turns."""
    values = {"key": key, "content_type": "", "body": b"", "etag": "", "last_modified": now}
    insert: Any = (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert
    session.execute(insert(FeedDocument).values(**values).on_conflict_do_nothing())
    return session.scalars(
        select(FeedDocument).where(FeedDocument.key == key).with_for_update()
    ).one()


def save(document: FeedDocument, content_type: str, body: bytes, now: datetime) -> bool:
    """Store new bytes; the validators move only when the bytes really changed."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    if document.etag == etag:
        return False
    document.content_type = content_type
    document.body = body
    document.etag = etag
    document.last_modified = now
    return True


def load(session: Session, key: str) -> FeedDocument | None:
    document = session.get(FeedDocument, key)
    if document is None or not document.etag:
        return None
    return document
