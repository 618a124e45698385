"""Stored feeds written out as static files, for nginx (or any static server) to serve.

Each document goes to the path that mirrors its URL under the export folder
(`feeds/rss.xml`, `feeds/tags/<slug>/atom.xml`, `feeds/…/archive/<n>/feed.json`), beside its
gzipped copy (`….gz`, for nginx's gzip_static), each written to a temporary file first and
renamed into place, so a reader never sees half a file. Both carry the document's
Last-Modified as their modification time, which nginx sends as its own.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate.feeds.scopes import is_document_key
from syndicate.models import FeedDocument

FOLDER = "feeds"


class FeedExport:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        if not is_document_key(key):
            raise ValueError(f"not a feed document: {key!r}")
        return self.root / FOLDER / key

    def write(self, key: str, body: bytes, body_gzip: bytes, modified: datetime) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        stamp = modified.timestamp()
        for path, data in ((target.with_name(target.name + ".gz"), body_gzip), (target, body)):
            _replace(path, data, stamp)

    def write_stored(self, session: Session, keys: Iterable[str]) -> None:
        """Write the stored documents with these keys, as the database has them now."""
        wanted = sorted(set(keys))
        if not wanted:
            return
        rows = session.execute(
            select(
                FeedDocument.key,
                FeedDocument.body,
                FeedDocument.body_gzip,
                FeedDocument.last_modified,
            ).where(FeedDocument.key.in_(wanted))
        )
        for key, body, body_gzip, modified in rows:
            self.write(key, body, body_gzip, modified)

    def prune(self, keys: set[str]) -> list[str]:
        """Remove the files of documents not among `keys` (feeds that no longer exist); the
        keys of those removed."""
        folder = self.root / FOLDER
        removed = []
        for path in sorted(folder.rglob("*")) if folder.exists() else []:
            if not path.is_file():
                continue
            key = path.relative_to(folder).as_posix().removesuffix(".gz")
            if key not in keys:
                path.unlink()
                removed.append(key)
        for directory in sorted(folder.rglob("*"), reverse=True) if folder.exists() else []:
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
        return sorted(set(removed))


def _replace(path: Path, data: bytes, stamp: float) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.utime(temporary, (stamp, stamp))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
