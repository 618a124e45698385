"""Slowing down password guessing, counted in Redis so that every web process agrees.

Failed sign-ins are counted three ways over a window: for a username from one address, for an
address whatever the usernames, and for a username from everywhere. Passing the first limit
stops that address guessing that username; the second stops that address; the third, much
higher, stops a guess spread over many addresses. So a stranger who knows a username can no
longer lock its owner out from one address, as a per-username count alone allowed.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
from dataclasses import dataclass

import redis

from syndicate.redis_keys import RedisKeys

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    per_username_and_address: int = 10
    per_address: int = 30
    per_username: int = 100
    window_seconds: int = 900


def address_key(address: str) -> str:
    """An IPv6 client is counted by its /64, which one subscriber usually has whole."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


class SignInThrottle:
    def __init__(self, client: redis.Redis, keys: RedisKeys, limits: Limits = Limits()) -> None:
        self.client = client
        self.keys = keys
        self.limits = limits

    def _counters(self, username: str, address: str) -> list[tuple[str, int]]:
        def key(kind: str, *parts: str) -> str:
            digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
            return self.keys.signin_failures(f"{kind}:{digest}")

        who, where = username.strip().lower(), address_key(address)
        return [
            (key("pair", who, where), self.limits.per_username_and_address),
            (key("address", where), self.limits.per_address),
            (key("user", who), self.limits.per_username),
        ]

    def wait_seconds(self, username: str, address: str) -> int:
        """How long this attempt must wait; 0 when it may go ahead."""
        try:
            counters = self._counters(username, address)
            with self.client.pipeline(transaction=False) as pipe:
                for key, _ in counters:
                    pipe.get(key)
                    pipe.ttl(key)
                found = pipe.execute()
        except redis.RedisError:
            log.warning("sign-in throttle unavailable; allowing the attempt")
            return 0
        waits = [
            max(1, int(found[2 * n + 1]))
            for n, (_, limit) in enumerate(counters)
            if int(found[2 * n] or 0) >= limit
        ]
        return max(waits, default=0)

    def failed(self, username: str, address: str) -> None:
        try:
            with self.client.pipeline() as pipe:
                for key, _ in self._counters(username, address):
                    pipe.incr(key)
                    pipe.expire(key, self.limits.window_seconds, nx=True)
                pipe.execute()
        except redis.RedisError:
            log.warning("sign-in throttle unavailable; a failure was not counted")

    def succeeded(self, username: str, address: str) -> None:
        pair, _, user = (key for key, _ in self._counters(username, address))
        with contextlib.suppress(redis.RedisError):
            self.client.delete(pair, user)
