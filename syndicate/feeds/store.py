"""Rendered feeds in the database: written by workers, read byte for byte by the web app."""

from __future__ import annotations

import gzip
import hashlib
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from syndicate.models import FeedDocument


def save(session: Session, key: str, content_type: str, body: bytes, modified: datetime) -> bool:
    """Store new bytes; the validators move only when the bytes really changed."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    current = session.scalar(select(FeedDocument.etag).where(FeedDocument.key == key))
    if current == etag:
        return False
    values = {
        "content_type": content_type,
        "body": body,
        "body_gzip": gzip.compress(body, compresslevel=6, mtime=0),
        "etag": etag,
        "last_modified": modified,
    }
    if current is None:
        session.execute(insert(FeedDocument).values(key=key, **values))
    else:
        session.execute(update(FeedDocument).where(FeedDocument.key == key).values(**values))
    return True


def load(session: Session, key: str) -> FeedDocument | None:
    return session.scalars(select(FeedDocument).where(FeedDocument.key == key)).one_or_none()
