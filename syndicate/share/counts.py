"""Per-article, per-button share counters. A click adds one, at most once an hour for one
address and article; who clicked is never recorded."""

from __future__ import annotations

import hashlib
import hmac
import logging

import redis
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from syndicate.models import ShareCount
from syndicate.redis_keys import RedisKeys
from syndicate.throttle import address_key

log = logging.getLogger(__name__)
SEEN_SECONDS = 3600


class FirstClicks:
    """Whether a click is the first from its address for the article within the hour. Redis
    keeps only a keyed hash of the two, and forgets it when the hour is up."""

    def __init__(self, client: redis.Redis, keys: RedisKeys, key: bytes) -> None:
        self.client = client
        self.keys = keys
        self.key = key

    def first(self, address: str, article_id: str) -> bool:
        mark = f"{address_key(address)}\n{article_id}".encode()
        digest = hmac.new(self.key, mark, hashlib.sha256).hexdigest()
        try:
            added = self.client.set(self.keys.share_seen(digest), b"1", nx=True, ex=SEEN_SECONDS)
        except redis.RedisError:
            log.warning("share clicks: Redis unavailable; counting the click")
            return True
        return bool(added)


def count_click(session: Session, article_id: str, button: str) -> None:
    """Add one to the counter in a single statement, so concurrent clicks are never lost."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ShareCount).values(article_id=article_id, button=button, count=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[ShareCount.article_id, ShareCount.button],
            set_={"count": ShareCount.count + 1},
        )
    )


def share_counts(session: Session, article_id: str) -> dict[str, int]:
    rows = session.execute(
        select(ShareCount.button, ShareCount.count)
        .where(ShareCount.article_id == article_id)
        .order_by(ShareCount.button)
    )
    return {button: count for button, count in rows}
