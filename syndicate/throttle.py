"""Slowing down password guessing: after too many failed sign-ins for one username, that
username is refused for the rest of the window. Counted in Redis, so every web process agrees."""

from __future__ import annotations

import contextlib
import hashlib
import logging

import redis

from syndicate.redis_keys import RedisKeys

log = logging.getLogger(__name__)


class SignInThrottle:
    def __init__(
        self, client: redis.Redis, keys: RedisKeys, limit: int = 10, window_seconds: int = 900
    ) -> None:
        self.client = client
        self.keys = keys
        self.limit = limit
        self.window = window_seconds

    def _key(self, username: str) -> str:
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()
        return self.keys.signin_failures(digest)

    def wait_seconds(self, username: str) -> int:
        """How long this username must wait before trying again; 0 when it may try now."""
        try:
            key = self._key(username)
            failures = int(self.client.get(key) or 0)
            return max(1, int(self.client.ttl(key))) if failures >= self.limit else 0
        except redis.RedisError:
            log.warning("sign-in throttle unavailable; allowing the attempt")
            return 0

    def failed(self, username: str) -> None:
        try:
            key = self._key(username)
            with self.client.pipeline() as pipe:
                pipe.incr(key)
                pipe.expire(key, self.window, nx=True)
                pipe.execute()
        except redis.RedisError:
            log.warning("sign-in throttle unavailable; a failure was not counted")

    def succeeded(self, username: str) -> None:
        with contextlib.suppress(redis.RedisError):
            self.client.delete(self._key(username))
