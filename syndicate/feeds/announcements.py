"""Workers announce newly stored feeds so web processes can drop their copies at once."""

from __future__ import annotations

import logging

import redis

log = logging.getLogger(__name__)


def announce_change(client: redis.Redis, channel: str) -> None:
    """Tell every web process that stored feeds changed. Best effort: their copies expire
    after `SYNDICATE_FEED_CACHE_SECONDS` anyway."""
    try:
        client.publish(channel, b"changed")
    except redis.RedisError as exc:
        log.warning("could not announce new feeds: %s", exc)
