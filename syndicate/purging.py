"""Purging edge caches by key when feeds or cards change.

Every response the caches may keep names its keys (`Surrogate-Key`, and `Cache-Tag` for
Cloudflare): `feeds` and `feed-<scope>` for a feed document, `article-<id>` for an article's
card, share image and share pages. A purge is a ledger row per cache, written before the cache
is asked and settled after, retried with backoff (honouring the cache's own wait) and found
again by the sweeper if its message is lost.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from syndicate.config import CacheConfig, SyndicateConfig
from syndicate.feeds.scopes import KIND_PREFIX, SITE
from syndicate.http import make_session
from syndicate.models import Purge, PurgeStatus, utcnow
from syndicate.purgers import PURGERS, PurgeError

log = logging.getLogger(__name__)
ALL_FEEDS = "feeds"
# Every sitemap lists articles: any change to the feeds changes them too.
SITEMAPS = "sitemaps"
MAX_ATTEMPTS = 10
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0
_SCOPED = set(KIND_PREFIX.values())


def feed_key(scope: str) -> str:
    return "feed-" + quote(scope.replace("/", "-"), safe="-")


def article_key(article_id: str) -> str:
    return "article-" + quote(article_id, safe="-._~")


def scope_of_document(document_key: str) -> str:
    """`tags/harbour/archive/2/atom.xml` → `tags/harbour`; `rss.xml` → the site."""
    parts = document_key.split("/")
    return "/".join(parts[:2]) if parts[0] in _SCOPED and len(parts) > 2 else SITE


def document_keys(document_key: str) -> list[str]:
    """The keys a feed document's responses carry."""
    return [ALL_FEEDS, feed_key(scope_of_document(document_key))]


def keys_for_documents(document_keys_changed: Iterable[str]) -> list[str]:
    """The keys to purge when these feed documents changed (the sitemaps with them)."""
    scopes = {feed_key(scope_of_document(key)) for key in document_keys_changed}
    return sorted(scopes | {SITEMAPS}) if scopes else []


@dataclass(frozen=True)
class Outcome:
    status: str  # PurgeStatus
    retry_in: float | None = None


def record(
    session: Session, caches: list[CacheConfig], keys: list[str], now: datetime
) -> list[int]:
    """A pending purge of `keys` for each cache, before any is tried; their ids."""
    if not keys:
        return []
    rows = [Purge(cache=c.name, keys=keys, next_attempt_at=now, created_at=now) for c in caches]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def attempt(
    factory: sessionmaker[Session],
    purge_id: int,
    config: SyndicateConfig,
    http: Callable[[], requests.Session] = make_session,
) -> Outcome:
    """Ask the cache to purge the row's keys once, and settle the row."""
    with factory() as session:
        purge = session.get(Purge, purge_id)
        if purge is None or purge.status != PurgeStatus.PENDING:
            return Outcome(purge.status if purge else PurgeStatus.DONE)
        cache_name, keys = purge.cache, list(purge.keys)
    cache = config.cache(cache_name)
    error: PurgeError | None = None
    if cache is None:
        error = PurgeError(f"no cache {cache_name!r} in the site file any more", permanent=True)
    else:
        try:
            PURGERS[cache.kind](cache, http()).purge(keys)
        except PurgeError as exc:
            error = exc
    with factory.begin() as session:
        purge = session.get_one(Purge, purge_id, with_for_update=True)
        return _settle(purge, error, utcnow())


def _settle(purge: Purge, error: PurgeError | None, now: datetime) -> Outcome:
    purge.attempts += 1
    if error is None:
        purge.status, purge.finished_at, purge.next_attempt_at = PurgeStatus.DONE, now, None
        purge.error = ""
        return Outcome(PurgeStatus.DONE)
    purge.error = error.message[:500]
    log.warning(
        "purge %s of %s failed (attempt %d): %s",
        purge.id,
        purge.cache,
        purge.attempts,
        error.message,
    )
    if error.permanent or purge.attempts >= MAX_ATTEMPTS:
        purge.status, purge.finished_at, purge.next_attempt_at = PurgeStatus.FAILED, now, None
        return Outcome(PurgeStatus.FAILED)
    wait = error.retry_after
    if wait is None:
        wait = random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**purge.attempts))
    purge.next_attempt_at = now + timedelta(seconds=wait)
    return Outcome(PurgeStatus.PENDING, retry_in=wait)


def purge_now(
    factory: sessionmaker[Session], config: SyndicateConfig, keys: list[str], now: datetime
) -> list[tuple[int, Outcome]]:
    """Record a purge of `keys` for every configured cache and try each once, now: what
    changed is announced (to WebSub hubs, say) only after its purge has been tried."""
    if not config.caches or not keys:
        return []
    with factory.begin() as session:
        ids = record(session, config.caches, keys, now)
    return [(purge_id, attempt(factory, purge_id, config)) for purge_id in ids]


def due(session: Session, now: datetime, grace_seconds: float) -> list[int]:
    """Pending purges whose next attempt is past by more than the grace: their messages were
    lost, or their worker stopped."""
    late = now - timedelta(seconds=grace_seconds)
    return list(
        session.scalars(
            select(Purge.id)
            .where(Purge.status == PurgeStatus.PENDING, Purge.next_attempt_at <= late)
            .order_by(Purge.id)
            .limit(500)
        )
    )
