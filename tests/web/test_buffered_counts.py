"""Counts buffered in a web process reach Redis in full, however the flushes fall among them."""

from __future__ import annotations

import sys
import threading
import uuid
from collections.abc import Iterator

import pytest
import redis

from syndicate.metrics import BufferedCounter
from tests.servers import wait_until


@pytest.fixture
def eager_thread_switches() -> Iterator[None]:
    """Threads take turns far more often than usual, so that races show."""
    usual = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(usual)


@pytest.mark.usefixtures("eager_thread_switches")
def test_no_count_is_lost_while_flushes_run_between_them(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    key = f"test:counts:{uuid.uuid4().hex}"
    counter = BufferedCounter(client, key, interval=0.001)
    threads, each = 8, 5_000

    def count() -> None:
        for n in range(each):
            counter.add("304" if n % 4 else "200")

    workers = [threading.Thread(target=count) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    def stored() -> dict[bytes, int]:
        return {field: int(n) for field, n in client.hgetall(key).items()}

    expected = {b"200": threads * each // 4, b"304": threads * each * 3 // 4}
    try:
        wait_until(lambda: stored() == expected, timeout=10)
    finally:
        client.delete(key)
