"""Other servers' actors and keys, fetched as their documents say (`application/activity+json`,
signed by the site's actor, as servers in authorized-fetch mode want) through the fetch guard:
public addresses only, unless the operator allows others, size and time bounded. Keys are kept
a day, and at most KEPT_KEYS of them."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from syndicate.activitypub.actors import ACTIVITY_JSON
from syndicate.activitypub.signatures import sign
from syndicate.db import upsert
from syndicate.fetch import FetchRefused, GuardedFetcher
from syndicate.models import ApRemoteKey

MAX_DOCUMENT_BYTES = 256 * 1024
KEY_LIFETIME = timedelta(days=1)
KEPT_KEYS = 5000
ACCEPTS = f'{ACTIVITY_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


class Remote:
    """Reads other servers' documents as the site's actor."""

    def __init__(
        self,
        fetcher: GuardedFetcher,
        key_id: str,
        private_key: str,
        now: Callable[[], datetime],
    ) -> None:
        self.fetcher, self.key_id, self.private_key, self.now = fetcher, key_id, private_key, now

    def document(self, url: str) -> dict[str, Any] | None:
        """The JSON document at `url`, or None when it cannot be had (refused, not JSON)."""
        headers = {"Accept": ACCEPTS, **sign("GET", url, b"", self.key_id, self.private_key)}
        try:
            fetched = self.fetcher.get(url, headers, MAX_DOCUMENT_BYTES)
        except FetchRefused:
            return None
        if fetched.status != 200:
            return None
        try:
            found = json.loads(fetched.body)
        except ValueError:
            return None
        return found if isinstance(found, dict) else None


def key_in(document: dict[str, Any], key_id: str) -> tuple[str, str] | None:
    """(owner, PEM) of the key `key_id` names, in an actor's document or a key's own."""
    listed = document.get("publicKey")
    candidates: list[Any] = [document, *(listed if isinstance(listed, list) else [listed])]
    for key in candidates:
        if not isinstance(key, dict) or key.get("id") != key_id:
            continue
        pem, owner = key.get("publicKeyPem"), key.get("owner") or document.get("id")
        if isinstance(pem, str) and isinstance(owner, str):
            return owner, pem
    return None


class KeysBusy(Exception):
    """Every slot for fetching senders' keys is taken: the request should come back later."""


class FetchSlots:
    """How many senders' keys a web process fetches at once. Any request naming a key it does
    not have makes it fetch one, unsigned or forged requests too, so strangers naming slow
    servers may hold this many threads and no more; a request that waits `wait_seconds` for
    a slot in vain is turned away."""

    def __init__(self, at_once: int = 4, wait_seconds: float = 2.0) -> None:
        self._slots = threading.BoundedSemaphore(at_once)
        self.wait_seconds = wait_seconds

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise KeysBusy("too many senders' keys are being fetched")
        try:
            yield
        finally:
            self._slots.release()


class KeyCache:
    """Senders' public keys by key id: kept in the database, fetched when missing, old or
    asked for fresh, a few at a time (`slots`, the web process's)."""

    def __init__(self, factory: sessionmaker[Session], remote: Remote, slots: FetchSlots) -> None:
        self.factory, self.remote, self.slots = factory, remote, slots

    def owner(self, key_id: str) -> str | None:
        with self.factory() as session:
            row = session.get(ApRemoteKey, key_id)
            return row.owner if row else None

    def lookup(self, key_id: str, fresh: bool) -> str | None:
        now = self.remote.now()
        if not fresh:
            with self.factory() as session:
                row = session.get(ApRemoteKey, key_id)
                if row is not None and row.fetched_at > now - KEY_LIFETIME:
                    return row.public_key
        with self.slots.slot():
            document = self.remote.document(key_id.split("#", 1)[0])
        found = key_in(document, key_id) if document else None
        if found is None:
            return None
        owner, pem = found
        with self.factory.begin() as session:
            session.execute(
                upsert(session, ApRemoteKey)
                .values(key_id=key_id, owner=owner, public_key=pem, fetched_at=now)
                .on_conflict_do_update(
                    index_elements=["key_id"],
                    set_={"owner": owner, "public_key": pem, "fetched_at": now},
                )
            )
            _keep_newest(session)
        return pem


def _keep_newest(session: Session) -> None:
    oldest_kept = session.scalar(
        select(ApRemoteKey.fetched_at)
        .order_by(ApRemoteKey.fetched_at.desc())
        .offset(KEPT_KEYS)
        .limit(1)
    )
    if oldest_kept is not None:
        session.execute(delete(ApRemoteKey).where(ApRemoteKey.fetched_at <= oldest_kept))
