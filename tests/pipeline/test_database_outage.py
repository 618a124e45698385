"""PostgreSQL refuses connections for ten seconds: webhooks answer 503 and store nothing, the
health check says so, and after recovery every accepted article is in its feeds and every
post is delivered exactly once. Runs on a database and a broker of its own, reached through a
proxy that can take the database away."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from syndicate.runtime import Runtime, build_runtime
from syndicate.settings import Settings
from syndicate.web.app import create_app
from tests.client import Client, article, envelope
from tests.conftest import API_TOKEN, WEBHOOK_SECRETS, forget_redis_keys
from tests.databases import fresh_database
from tests.fakes.outage import OutageProxy
from tests.fakes.receiver import Receiver
from tests.servers import WebServer, WorkerProcess, free_port, wait_until

BROKER = os.environ.get("SYNDICATE_TEST_OUTAGE_REDIS_URL", "redis://127.0.0.1:6379/12")
OUTAGE_SECONDS = 10


@pytest.fixture
def proxied_env(stack_env: dict[str, str]) -> Iterator[tuple[dict[str, str], OutageProxy]]:
    forget_redis_keys(BROKER)
    with fresh_database() as database_url:
        real = urlsplit(database_url)
        proxy = OutageProxy((real.hostname or "127.0.0.1", real.port or 5432)).start()
        proxied = database_url.replace(f"{real.hostname}:{real.port}", f"127.0.0.1:{proxy.port}")
        env = {
            **stack_env,
            "SYNDICATE_REDIS_URL": BROKER,
            "SYNDICATE_DATABASE_URL": proxied,
            "SYNDICATE_SWEEP_GRACE_SECONDS": "1",
        }
        yield env, proxy
        proxy.down()
    forget_redis_keys(BROKER)


@pytest.fixture
def processes() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for process in started:
        if process.process is not None and process.process.poll() is None:
            os.killpg(process.process.pid, signal.SIGTERM)
            process.process.wait(timeout=30)


def wire_ids(receiver: Receiver) -> list[str]:
    return sorted(
        r.json()["article"]["id"]
        for r in receiver.received("/wire")
        if r.json()["article"]["id"].startswith("outage-")
    )


def test_a_database_outage_refuses_honestly_and_loses_nothing(
    proxied_env: tuple[dict[str, str], OutageProxy],
    receiver: Receiver,
    processes: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    env, proxy = proxied_env
    runtime: Runtime = build_runtime(
        Settings(database_url=env["SYNDICATE_DATABASE_URL"], redis_url=BROKER)
    )
    web = WebServer(create_app(runtime), free_port()).start()
    client = Client(web.url, WEBHOOK_SECRETS.split(",")[0], API_TOKEN)
    try:
        processes.append(WorkerProcess(env, tmp_path / "worker.log").start())
        processes.append(
            WorkerProcess(
                env, tmp_path / "beat.log", command="beat", ready=b"beat: Starting"
            ).start()
        )
        before = [f"outage-{n}" for n in range(3)]
        for article_id in before:
            assert client.send(envelope(article(article_id))).status_code == 202

        proxy.down()
        started = time.monotonic()
        during = [f"outage-{n}" for n in range(3, 5)]
        for article_id in during:
            refused = client.send(envelope(article(article_id)))
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "5"
            assert refused.json()["message"] == (
                "the database is unavailable; nothing was stored, try again shortly"
            )
        ready = client.http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["database"]["ok"] is False
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - started)))
        proxy.up()

        for article_id in during:  # the CMS retries what was refused
            assert client.send(envelope(article(article_id))).status_code == 202
        everything = before + during
        wait_until(lambda: wire_ids(receiver) == everything, timeout=90)
        feed = wait_until(lambda: (r := client.http.get("/feeds/rss.xml")).status_code == 200 and r)
        wait_until(
            lambda: all(
                f"https://news.example/2026/{a}" in client.http.get("/feeds/rss.xml").text
                for a in everything
            ),
            timeout=60,
        )
        assert feed.status_code == 200
        wait_until(lambda: client.http.get("/readyz").status_code == 200, timeout=30)

        def statuses() -> list[str]:
            posts = client.posts(channel="wire")
            return sorted(p["status"] for p in posts if p["article_id"] in everything)

        # The platform has each post; the worker records that a moment later.
        wait_until(lambda: statuses() == ["sent"] * 5, timeout=30)
        time.sleep(2)  # more sweeps: still one delivery each
        assert wire_ids(receiver) == everything
    finally:
        web.stop()
        runtime.engine.dispose()
