"""Edge caches in front of the service: every feed, card and share response names its keys and
may be kept for long; when one changes, a worker purges its keys from every cache (the real
Varnish with the xkey vmod, Fastly and Cloudflare as loopback servers speaking their APIs)
before any WebSub hub hears of it; a purge that fails is retried, and one whose message was
lost is found again."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import select

from syndicate import purging
from syndicate.config import load_config
from syndicate.models import Purge, PurgeStatus, utcnow
from syndicate.runtime import Runtime, build_runtime
from syndicate.settings import Settings
from syndicate.web.app import create_app
from tests.client import Client, article, envelope
from tests.conftest import API_TOKEN, REDIS_PREFIX, WEBHOOK_SECRETS, forget_redis_keys
from tests.databases import fresh_database
from tests.fakes.receiver import Received, Receiver
from tests.peers.varnish import Varnish
from tests.servers import WebServer, WorkerProcess, free_port, wait_until


@pytest.mark.usefixtures("worker")
def test_feeds_cards_and_share_pages_name_their_keys_for_edge_caches(client: Client) -> None:
    assert client.send(envelope(article("edge-1", tags=["Harbour"]))).status_code == 202
    wait_until(lambda: client.http.get("/feeds/tags/harbour/atom.xml").status_code == 200)
    wait_until(lambda: client.http.get("/cards/edge-1").status_code == 200)
    feed = client.http.get("/feeds/tags/harbour/atom.xml")
    assert feed.headers["surrogate-key"] == "feeds feed-tags-harbour"
    assert feed.headers["cache-tag"] == "feeds,feed-tags-harbour"
    assert feed.headers["surrogate-control"] == "max-age=86400"
    assert feed.headers["cdn-cache-control"] == "max-age=86400"
    assert feed.headers["cache-control"] == "public, max-age=300"  # readers keep to this
    site = client.http.get("/feeds/archive/1/rss.xml")
    assert site.status_code == 404 or site.headers["surrogate-key"] == "feeds feed-site"
    for path in ("/cards/edge-1", "/cards/edge-1/meta", "/share/edge-1/buttons"):
        assert client.http.get(path).headers["surrogate-key"] == "article-edge-1", path


@dataclass
class Edge:
    app: Client
    varnish: httpx.Client
    runtime: Runtime
    hub_fetches: list[bytes]


def config_with(path: Path, hub: str, caches: str) -> Path:
    path.write_text(f"""
[site]
title = "Edge Newsroom"
websub_hubs = ["{hub}"]
{caches}
""")
    return path


@pytest.fixture
def edge(stack_env: dict[str, str], tmp_path: Path) -> Iterator[Edge]:
    """A worker, a scheduler and the web app with the real Varnish in front: the public URL
    is Varnish's, so a hub told of a feed fetches it through Varnish as any reader would."""
    varnish_port = free_port()
    varnish_url = f"http://127.0.0.1:{varnish_port}"
    fetches: list[bytes] = []

    def hub(received: Received) -> tuple[Any, ...]:
        topic = parse_qs(received.body.decode())["hub.url"][0]
        try:
            fetches.append(httpx.get(topic, headers={"Accept-Encoding": "identity"}).content)
        except httpx.HTTPError:  # Varnish already stopped: the test is over
            return (503, b"")
        return (202, b"")

    receiver = Receiver(respond=hub).start()
    config = config_with(
        tmp_path / "site.toml",
        f"{receiver.url}/hub",
        f'[[caches]]\nname = "varnish"\nkind = "varnish"\nurl = "{varnish_url}"\n',
    )
    prefix = f"{REDIS_PREFIX}edge-{uuid.uuid4().hex[:6]}:"
    with fresh_database() as database_url:
        env = {
            **stack_env,
            "SYNDICATE_DATABASE_URL": database_url,
            "SYNDICATE_REDIS_PREFIX": prefix,
            "SYNDICATE_CONFIG": str(config),
            "SYNDICATE_BASE_URL": varnish_url,
        }
        settings = Settings(
            database_url=database_url, redis_prefix=prefix, config=config, base_url=varnish_url
        )
        runtime = build_runtime(settings)
        web = WebServer(create_app(runtime)).start()
        worker = WorkerProcess(env, tmp_path / "worker.log").start()
        beat = WorkerProcess(env, tmp_path / "beat.log", command="beat", ready=b"beat: Starting")
        beat.start()
        (tmp_path / "varnish").mkdir()
        varnish = Varnish(tmp_path / "varnish", web.port, varnish_port).start()
        try:
            yield Edge(
                Client(web.url, WEBHOOK_SECRETS.split(",")[0], API_TOKEN),
                httpx.Client(base_url=varnish_url, timeout=10),
                runtime,
                fetches,
            )
        finally:
            varnish.stop()
            for process in (beat, worker):
                assert process.process is not None
                os.killpg(process.process.pid, signal.SIGTERM)
                process.process.wait(timeout=30)
            web.stop()
            receiver.stop()
            runtime.engine.dispose()
    forget_redis_keys(stack_env["SYNDICATE_REDIS_URL"])


def served_from_cache(response: httpx.Response) -> bool:
    # Varnish's X-Varnish names two transactions on a hit: this one and the one that stored it.
    return len(response.headers.get("x-varnish", "").split()) == 2


def test_a_change_is_purged_from_varnish_before_any_hub_fetches_the_feed(edge: Edge) -> None:
    assert edge.app.send(envelope(article("v-1", title="First at the edge"))).status_code == 202
    wait_until(lambda: b"First at the edge" in edge.varnish.get("/feeds/rss.xml").content)
    cached = edge.varnish.get("/feeds/rss.xml")
    assert served_from_cache(cached)  # Varnish keeps it: Surrogate-Control says a day
    assert "surrogate-key" not in cached.headers and "xkey" not in cached.headers
    fetched_before = len(edge.hub_fetches)

    assert edge.app.send(envelope(article("v-2", title="Second at the edge"))).status_code == 202
    wait_until(lambda: len(edge.hub_fetches) > fetched_before, timeout=30)
    # Every fetch a hub made after being told of the change got the new feed, not the copy
    # Varnish held: the purge came first.
    assert all(b"Second at the edge" in body for body in edge.hub_fetches[fetched_before:])
    assert b"Second at the edge" in edge.varnish.get("/feeds/rss.xml").content
    with edge.runtime.factory() as session:
        purges = session.scalars(select(Purge).order_by(Purge.id)).all()
    assert purges and all(p.status == PurgeStatus.DONE for p in purges)
    assert any("feed-site" in p.keys for p in purges)
    operator = {"Authorization": f"Bearer {API_TOKEN}"}
    metrics = edge.app.http.get("/metrics", headers=operator).text
    done = re.search(r'syndicate_purges\{cache="varnish",status="done"\} (\d+)', metrics)
    assert done and int(done.group(1)) >= len(purges)


def test_a_card_change_is_purged_by_its_article_key(edge: Edge) -> None:
    assert edge.app.send(envelope(article("v-card", title="Card before"))).status_code == 202
    bot = {"User-Agent": "Twitterbot/1.0"}
    wait_until(lambda: b"Card before" in edge.varnish.get("/cards/v-card", headers=bot).content)
    assert served_from_cache(edge.varnish.get("/cards/v-card", headers=bot))
    changed = article("v-card", title="Card after", updated_at="2026-11-24T12:00:00Z")
    assert edge.app.send(envelope(changed, event="article.updated")).status_code == 202
    wait_until(lambda: b"Card after" in edge.varnish.get("/cards/v-card", headers=bot).content)


def test_a_purge_whose_message_was_lost_is_found_again_by_the_sweeper(edge: Edge) -> None:
    with edge.runtime.factory.begin() as session:
        (lost,) = purging.record(session, edge.runtime.config.caches, ["feeds"], utcnow())

    def settled() -> bool:
        with edge.runtime.factory() as session:
            return session.get_one(Purge, lost).status == PurgeStatus.DONE

    wait_until(settled, timeout=30)


class FakeCdn:
    """Fastly's and Cloudflare's purge APIs as their documentation gives them."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        self.lock = threading.Lock()
        self.receiver = Receiver(respond=self.respond).start()

    def then(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        with self.lock:
            self.answers.append((status, body, headers or {}))

    def respond(self, received: Received) -> tuple[Any, ...]:
        with self.lock:
            status, body, headers = self.answers.pop(0) if self.answers else (200, {}, {})
        if received.path.startswith("/client/v4/") and status == 200 and not body:
            body = {"success": True, "errors": [], "messages": [], "result": {"id": "zone"}}
        if received.path.startswith("/service/") and status == 200 and not body:
            body = {"status": "ok", "id": "108-1391560174-974124"}
        return (status, json.dumps(body).encode(), headers)


@pytest.fixture
def cdn() -> Iterator[FakeCdn]:
    fake = FakeCdn()
    yield fake
    fake.receiver.stop()


@pytest.fixture
def cdn_runtime(
    runtime: Runtime, cdn: FakeCdn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Runtime:
    monkeypatch.setenv("TEST_FASTLY_TOKEN", "fastly-api-token")
    monkeypatch.setenv("TEST_CLOUDFLARE_TOKEN", "cloudflare-api-token")
    path = config_with(
        tmp_path / "cdn.toml",
        "https://hub.example/",
        f"""
[[caches]]
name = "fastly"
kind = "fastly"
url = "{cdn.receiver.url}"
service_id = "SU1Z0isxPaozGVKXdv0eY"
token_env = "TEST_FASTLY_TOKEN"

[[caches]]
name = "cloudflare"
kind = "cloudflare"
url = "{cdn.receiver.url}"
zone = "023e105f4ecef8ad9ca31a8372d0c353"
token_env = "TEST_CLOUDFLARE_TOKEN"
""",
    )
    return Runtime(runtime.settings, load_config(path), runtime.engine, runtime.factory)


def purge_once(runtime: Runtime, cache: str, keys: list[str]) -> tuple[int, purging.Outcome]:
    chosen = [c for c in runtime.config.caches if c.name == cache]
    with runtime.factory.begin() as session:
        (purge_id,) = purging.record(session, chosen, keys, utcnow())
    return purge_id, purging.attempt(runtime.factory, purge_id, runtime.config)


@pytest.mark.usefixtures("clean")
def test_fastly_soft_purges_each_key_with_the_api_key(cdn_runtime: Runtime, cdn: FakeCdn) -> None:
    _, outcome = purge_once(cdn_runtime, "fastly", ["feed-site", "feeds"])
    assert outcome.status == PurgeStatus.DONE
    sent = cdn.receiver.received()
    assert [r.path for r in sent] == [
        "/service/SU1Z0isxPaozGVKXdv0eY/purge/feed-site",
        "/service/SU1Z0isxPaozGVKXdv0eY/purge/feeds",
    ]
    assert all(r.headers["fastly-key"] == "fastly-api-token" for r in sent)
    assert all(r.headers["fastly-soft-purge"] == "1" for r in sent)


@pytest.mark.usefixtures("clean")
def test_cloudflare_purges_tags_in_batches_and_waits_when_rate_limited(
    cdn_runtime: Runtime, cdn: FakeCdn
) -> None:
    keys = [f"article-{n}" for n in range(45)]
    _, outcome = purge_once(cdn_runtime, "cloudflare", keys)
    assert outcome.status == PurgeStatus.DONE
    bodies = [r.json() for r in cdn.receiver.received()]
    assert [len(b["tags"]) for b in bodies] == [30, 15]
    assert [tag for body in bodies for tag in body["tags"]] == keys
    (first, *_) = cdn.receiver.received()
    assert first.path == "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache"
    assert first.headers["authorization"] == "Bearer cloudflare-api-token"

    limited = {"success": False, "errors": [{"code": 10429, "message": "Rate limited"}]}
    cdn.then(429, limited, {"Retry-After": "7"})
    purge_id, outcome = purge_once(cdn_runtime, "cloudflare", ["feeds"])
    assert outcome.status == PurgeStatus.PENDING and outcome.retry_in == 7
    assert purging.attempt(cdn_runtime.factory, purge_id, cdn_runtime.config).status == "done"
    with cdn_runtime.factory() as session:
        assert session.get_one(Purge, purge_id).attempts == 2


@pytest.mark.usefixtures("clean")
def test_a_refused_token_fails_the_purge_for_good(cdn_runtime: Runtime, cdn: FakeCdn) -> None:
    denied = {"success": False, "errors": [{"code": 10000, "message": "Authentication error"}]}
    cdn.then(403, denied)
    purge_id, outcome = purge_once(cdn_runtime, "cloudflare", ["feeds"])
    assert outcome.status == PurgeStatus.FAILED
    with cdn_runtime.factory() as session:
        failed = session.get_one(Purge, purge_id)
        assert "HTTP 403" in failed.error and "Authentication error" in failed.error
        assert "cloudflare-api-token" not in failed.error
