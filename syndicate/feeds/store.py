"""Rendered feeds in the database: written by workers, read byte for byte by the web app."""

from __future__ import annotations

import gzip
import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate.models import FeedDocument


def save(session: Session, key: str, content_type: str, body: bytes, modified: datetime) -> bool:
    """Store new bytes; the validators move only when the bytes really changed."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    document = session.get(FeedDocument, key)
    if document is not None and document.etag == etag:
        return False
    if document is None:
        document = FeedDocument(key=key)
        session.add(document)
    document.content_type = content_type
    document.body = body
    document.body_gzip = gzip.compress(body, compresslevel=6, mtime=0)
    document.etag = etag
    document.last_modified = modified
    return True


def load(session: Session, key: str) -> FeedDocument | None:
    return session.scalars(select(FeedDocument).where(FeedDocument.key == key)).one_or_none()
