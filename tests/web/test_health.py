"""/healthz says the process is up; /readyz says whether it can do its work."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from sqlalchemy import create_engine

from syndicate import health
from syndicate.redis_keys import RedisKeys
from tests.client import Client
from tests.conftest import REDIS_PREFIX, REDIS_URL
from tests.servers import free_port, wait_until


def test_healthz_answers_while_the_process_is_up(client: Client) -> None:
    assert client.http.get("/healthz").json() == {"status": "ok"}


@pytest.mark.usefixtures("worker", "beat")
def test_readyz_is_ready_when_database_broker_and_a_worker_answer(client: Client) -> None:
    response = wait_until(lambda: (r := client.http.get("/readyz")).status_code == 200 and r)
    checks = response.json()["checks"]
    assert {name: check["ok"] for name, check in checks.items()} == {
        "database": True,
        "broker": True,
        "worker": True,
    }
    assert checks["worker"]["detail"].startswith("checked in")


def test_a_worker_that_has_not_checked_in_lately_is_not_ready() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    keys = RedisKeys(f"{REDIS_PREFIX}health-{uuid.uuid4().hex}:")
    client.set(keys.worker_heartbeat, str(time.time() - 600))
    check = health.check_worker(client, keys, max_age=60)
    assert not check.ok and check.detail == "last checked in 600 s ago"
    client.delete(keys.worker_heartbeat)
    assert health.check_worker(client, keys, 60).detail == "no worker has checked in"


def test_an_unreachable_broker_or_database_is_not_ready() -> None:
    nowhere = redis.Redis(host="127.0.0.1", port=free_port(), socket_timeout=1)
    assert health.check_broker(nowhere).ok is False
    assert (
        health.check_worker(nowhere, RedisKeys(REDIS_PREFIX), 60).detail
        == "unknown: the broker is unreachable"
    )
    engine = create_engine(
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x",
        connect_args={"connect_timeout": 1},
    )
    check = health.check_database(engine)
    assert not check.ok and check.detail == "unreachable (OperationalError)"
