"""Rendered feeds in the database: written by workers, read byte for byte by the web app."""

from __future__ import annotations

import gzip
import hashlib
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from syndicate.db import insert_ignoring_conflicts
from syndicate.models import FeedDocument


def save(session: Session, key: str, content_type: str, body: bytes, modified: datetime) -> bool:
    """Store new bytes; the validators move only when the bytes really changed. One statement
    in the usual case, where the document exists and has changed."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    values = {
        "content_type": content_type,
        "body": body,
        "body_gzip": gzip.compress(body, compresslevel=6, mtime=0),
        "etag": etag,
        "last_modified": modified,
    }
    replaced = session.execute(
        update(FeedDocument)
        .where(FeedDocument.key == key, FeedDocument.etag != etag)
        .values(**values)
    )
    if getattr(replaced, "rowcount", 0):
        return True
    return insert_ignoring_conflicts(session, FeedDocument, [{"key": key, **values}]) > 0


def load(session: Session, key: str) -> FeedDocument | None:
    return session.scalars(select(FeedDocument).where(FeedDocument.key == key)).one_or_none()
