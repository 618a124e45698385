"""Readiness: the database answers, the broker answers, and a worker has checked in lately."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from sqlalchemy import Engine, text

from syndicate.redis_keys import RedisKeys


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def beat(client: redis.Redis, keys: RedisKeys) -> None:
    """Called by the worker's periodic sweep: proof that a worker is consuming tasks."""
    client.set(keys.worker_heartbeat, str(time.time()), ex=3600)


def check_database(engine: Engine) -> Check:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return Check("database", True, "ok")
    except Exception as exc:  # any failure means not ready; the type says enough
        return Check("database", False, f"unreachable ({type(exc).__name__})")


def check_broker(client: redis.Redis) -> Check:
    try:
        client.ping()
        return Check("broker", True, "ok")
    except redis.RedisError as exc:
        return Check("broker", False, f"unreachable ({type(exc).__name__})")


def check_worker(client: redis.Redis, keys: RedisKeys, max_age: float) -> Check:
    try:
        seen = client.get(keys.worker_heartbeat)
    except redis.RedisError:
        return Check("worker", False, "unknown: the broker is unreachable")
    if seen is None:
        return Check("worker", False, "no worker has checked in")
    age = time.time() - float(seen)
    if age > max_age:
        return Check("worker", False, f"last checked in {age:.0f} s ago")
    return Check("worker", True, f"checked in {age:.0f} s ago")
