"""Scale-out: one worker on the work queue (feeds, composition) and another on the
delivery queue (cards have a queue of their own, `images`, which neither consumes here).
Stopping the delivery worker holds posts but not feeds; starting it again sends each post
exactly once. Runs on a broker and a database of its own."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from syndicate.models import Post, PostStatus
from syndicate.runtime import Runtime, build_runtime
from syndicate.settings import Settings
from syndicate.web.app import create_app
from tests.client import Client, article, envelope
from tests.conftest import API_TOKEN, WEBHOOK_SECRETS, forget_redis_keys
from tests.databases import fresh_database
from tests.fakes.receiver import Receiver
from tests.servers import WebServer, WorkerProcess, free_port, wait_until

BROKER = os.environ.get("SYNDICATE_TEST_SCALE_REDIS_URL", "redis://127.0.0.1:6379/13")


def sent_to_wire(receiver: Receiver) -> list[object]:
    return [r for r in receiver.received("/wire") if r.json()["article"]["id"] == "scale-1"]


@pytest.fixture
def scale_env(stack_env: dict[str, str]) -> Iterator[dict[str, str]]:
    forget_redis_keys(BROKER)
    with fresh_database() as database_url:
        yield {**stack_env, "SYNDICATE_REDIS_URL": BROKER, "SYNDICATE_DATABASE_URL": database_url}
    forget_redis_keys(BROKER)


@pytest.fixture
def scale_runtime(scale_env: dict[str, str]) -> Iterator[Runtime]:
    isolated = build_runtime(
        Settings(database_url=scale_env["SYNDICATE_DATABASE_URL"], redis_url=BROKER)
    )
    yield isolated
    isolated.engine.dispose()


@pytest.fixture
def processes() -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for process in started:
        if process.process is not None and process.process.poll() is None:
            os.killpg(process.process.pid, signal.SIGTERM)
            process.process.wait(timeout=30)


def test_delivery_runs_on_its_own_queue_and_cannot_hold_up_feeds(
    scale_env: dict[str, str],
    scale_runtime: Runtime,
    receiver: Receiver,
    processes: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    web = WebServer(create_app(scale_runtime), free_port()).start()
    try:
        work = WorkerProcess(scale_env, tmp_path / "work.log", "--concurrency=1", "-Q", "celery")
        processes.append(work.start())
        http = httpx.Client(base_url=web.url)
        client = Client(web.url, WEBHOOK_SECRETS.split(",")[0], API_TOKEN)
        assert client.send(envelope(article("scale-1", title="Scale out"))).status_code == 202

        # Feeds and composition go on with no delivery worker at all.
        wait_until(lambda: "Scale out" in http.get("/feeds/rss.xml").text, timeout=30)
        wire = wait_until(
            lambda: [p for p in client.posts(article_id="scale-1") if p["channel"] == "wire"]
        )
        assert wire[0]["status"] == PostStatus.APPROVED
        assert sent_to_wire(receiver) == []

        delivery = WorkerProcess(
            scale_env, tmp_path / "delivery.log", "--concurrency=1", "-Q", "delivery"
        )
        processes.append(delivery.start())
        wait_until(lambda: len(sent_to_wire(receiver)) == 1, timeout=30)
        # The platform has it; the worker records that a moment later.
        wait_until(
            lambda: client.api("GET", f"/posts/{wire[0]['id']}").json()["status"] == PostStatus.SENT
        )
        assert len(sent_to_wire(receiver)) == 1

        work_log = (tmp_path / "work.log").read_text()
        delivery_log = (tmp_path / "delivery.log").read_text()
        ran = "Task syndicate.{}["  # a task the worker received, not one it merely lists
        assert ran.format("rebuild_feeds") in work_log
        assert ran.format("deliver_post") not in work_log
        assert ran.format("deliver_post") in delivery_log
        assert ran.format("rebuild_feeds") not in delivery_log
        with scale_runtime.factory() as session:
            assert session.get_one(Post, wire[0]["id"]).status == PostStatus.SENT

        # Nobody consumed the images queue: the feed and the posts went out without the card.
        assert http.get("/cards/scale-1").status_code == 404
        images = WorkerProcess(
            scale_env, tmp_path / "images.log", "--concurrency=1", "-Q", "images"
        )
        processes.append(images.start())
        wait_until(lambda: http.get("/cards/scale-1").status_code == 200, timeout=30)
        images_log = (tmp_path / "images.log").read_text()
        assert ran.format("build_cards") in images_log  # the cards of a batch of webhooks
        assert ran.format("build_cards") not in work_log + delivery_log
    finally:
        web.stop()
