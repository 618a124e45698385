"""A real ActivityPub server, written with Fedify, meets the newsroom: it finds the site's
actor by WebFinger and reads it, follows it with a signed Follow that Syndicate verifies, and
receives what a worker delivers, each verified by Fedify in turn: the Accept, then the Create
of an article the CMS publishes, its Update and its Delete; its like and reply to the article
are verified and counted. The stack is its own: a database,
a Redis prefix, the web app and a worker, with the site on the fediverse."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from syndicate.models import ApDelivery, ApFollower, ApReaction
from syndicate.runtime import Runtime, build_runtime
from syndicate.web.app import create_app
from tests.client import Client, article, envelope
from tests.conftest import API_TOKEN, WEBHOOK_SECRETS
from tests.databases import fresh_database
from tests.peers.fedify import FedifyPeer
from tests.servers import WebServer, WorkerProcess, free_port, wait_until


@dataclass
class Newsroom:
    url: str
    runtime: Runtime

    @property
    def actor(self) -> str:
        return f"{self.url}/ap/actors/news"


@pytest.fixture(scope="module")
def peer() -> Iterator[FedifyPeer]:
    server = FedifyPeer()
    yield server
    server.stop()


@pytest.fixture
def newsroom(runtime: Runtime, stack_env: dict[str, str], tmp_path: Path) -> Iterator[Newsroom]:
    config = tmp_path / "fediverse.toml"
    config.write_text(
        '[site]\ntitle = "Harbour Gazette"\n[site.activitypub]\nenabled = true\n'
        '[[channels]]\nname = "fediverse"\nplatform = "activitypub"\nauto_approve = true\n'
    )
    port, prefix = free_port(), f"syndicate-ap-{uuid.uuid4().hex[:8]}:"
    base = f"http://127.0.0.1:{port}"
    with fresh_database() as url:
        env = {
            **stack_env,
            "SYNDICATE_DATABASE_URL": url,
            "SYNDICATE_REDIS_PREFIX": prefix,
            "SYNDICATE_CONFIG": str(config),
            "SYNDICATE_BASE_URL": base,
            "SYNDICATE_ACTIVITYPUB_ALLOW_PRIVATE": "true",
        }
        settings = runtime.settings.model_copy(
            update={
                "database_url": url,
                "redis_prefix": prefix,
                "config": config,
                "base_url": base,
                "activitypub_allow_private": True,
            }
        )
        own = build_runtime(settings)
        web = WebServer(create_app(own), port).start()
        worker = WorkerProcess(env, tmp_path / "worker.log").start()
        try:
            yield Newsroom(base, own)
        finally:
            worker.stop()
            web.stop()
            own.engine.dispose()


def test_fedify_finds_follows_and_is_accepted_by_the_site_actor(
    peer: FedifyPeer, newsroom: Newsroom
) -> None:
    found = peer.control("webfinger", resource=newsroom.actor)
    assert found.status_code == 200, found.text
    assert {"rel": "self", "href": newsroom.actor, "type": "application/activity+json"} in [
        {k: link.get(k) for k in ("rel", "href", "type")} for link in found.json()["links"]
    ]
    looked = peer.control("lookup", query=newsroom.actor)
    assert looked.status_code == 200, looked.text
    assert (
        looked.json()["preferredUsername"] == "news" and looked.json()["name"] == "Harbour Gazette"
    )

    followed = peer.control("follow", actor=newsroom.actor)
    assert followed.status_code == 200, followed.text
    follow_id = followed.json()["follow"]

    def follower() -> ApFollower | None:
        with newsroom.runtime.factory() as session:
            return session.scalars(select(ApFollower)).first()

    stored = wait_until(follower, timeout=30)
    assert (stored.follower, stored.follow_id, stored.status) == (peer.actor, follow_id, "accepted")

    def accepted() -> list[dict[str, object]]:
        return [a for a in peer.received() if a["type"] == "Accept"]

    (accept,) = wait_until(accepted, timeout=60)
    assert accept["actor"] == newsroom.actor

    def settled() -> list[ApDelivery]:
        # The peer has the Accept before the worker records it as sent: wait for the record.
        with newsroom.runtime.factory() as session:
            rows = session.scalars(select(ApDelivery)).all()
        return list(rows) if rows and all(r.status == "sent" for r in rows) else []

    (delivery,) = wait_until(settled, timeout=30)
    assert (delivery.status, delivery.attempts) == ("sent", 1)

    cms = Client(newsroom.url, WEBHOOK_SECRETS.split(",")[0], API_TOKEN)
    art = article("fedi-1", title="Ferry timetable returns", content_html="<p>Hourly.</p>")
    assert cms.send(envelope(art)).status_code == 202

    def heard(kind: str) -> list[dict[str, Any]]:
        return [a for a in peer.received() if a["type"] == kind]

    (created,) = wait_until(lambda: heard("Create"), timeout=60)
    assert created["actor"] == newsroom.actor
    assert created["object"]["name"] == "Ferry timetable returns"
    assert created["object"]["url"] == art["url"]
    article_id = created["object"]["id"]
    assert peer.control("like", object=article_id, to=newsroom.actor).status_code == 200
    replied = peer.control("reply", object=article_id, to=newsroom.actor, text="<p>At last!</p>")
    assert replied.status_code == 200, replied.text

    def reactions() -> dict[str, ApReaction]:
        with newsroom.runtime.factory() as session:
            found = {r.kind: r for r in session.scalars(select(ApReaction))}
        return found if {"like", "reply"} <= set(found) else {}

    kept = wait_until(reactions, timeout=30)
    assert kept["like"].actor == peer.actor and kept["reply"].text == "At last!"
    assert kept["reply"].activity == replied.json()["note"]

    changed = {**art, "title": "Ferry timetable returns, hourly"}
    assert cms.send(envelope(changed, "article.updated")).status_code in (200, 202)
    (updated,) = wait_until(lambda: heard("Update"), timeout=60)
    assert updated["object"]["name"] == "Ferry timetable returns, hourly"
    assert cms.send(envelope({"id": "fedi-1"}, "article.unpublished")).status_code in (200, 202)
    (deleted,) = wait_until(lambda: heard("Delete"), timeout=60)
    assert (
        deleted["object"] == created["object"]["id"]
        or deleted["object"]["id"] == created["object"]["id"]
    )
