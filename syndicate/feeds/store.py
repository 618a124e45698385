"""Rendered feeds in the database: written by workers, read byte for byte by the web app."""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate.db import upsert
from syndicate.models import FeedDocument


@dataclass(frozen=True)
class Document:
    key: str
    content_type: str
    body: bytes
    modified: datetime

    @functools.cached_property
    def body_gzip(self) -> bytes:
        return gzip.compress(self.body, compresslevel=6, mtime=0)


def save(session: Session, key: str, content_type: str, body: bytes, modified: datetime) -> bool:
    """Store new bytes; the validators move only when the bytes really changed."""
    return bool(save_many(session, [Document(key, content_type, body, modified)]))


def save_many(session: Session, documents: list[Document]) -> set[str]:
    """Store documents in one statement and return the keys whose bytes changed; a document
    whose bytes are already stored keeps its validators."""
    if not documents:
        return set()
    rows = [
        {
            "key": doc.key,
            "content_type": doc.content_type,
            "body": doc.body,
            "body_gzip": doc.body_gzip,
            "etag": '"' + hashlib.sha256(doc.body).hexdigest()[:40] + '"',
            "last_modified": doc.modified,
        }
        for doc in sorted(documents, key=lambda doc: doc.key)
    ]
    statement = upsert(session, FeedDocument).values(rows)
    new = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[FeedDocument.key],
        set_={name: new[name] for name in rows[0] if name != "key"},
        where=FeedDocument.etag != new.etag,
    ).returning(FeedDocument.key)
    return set(session.scalars(statement))


def load(session: Session, key: str) -> FeedDocument | None:
    return session.scalars(select(FeedDocument).where(FeedDocument.key == key)).one_or_none()
