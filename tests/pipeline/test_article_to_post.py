"""From a signed CMS webhook to a delivered post, through the real web app, Redis and a worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import feedparser
import pytest
from lxml import html
from sqlalchemy import func, select

from syndicate import signatures
from syndicate.models import ArticleRevision, Delivery, Post, Role
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.conftest import HOOK_SECRET
from tests.fakes.receiver import Received, Receiver
from tests.people import Person
from tests.review.browser_session import signed_in
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker")


def feed_entries(client: Client) -> list[feedparser.FeedParserDict]:
    response = client.http.get("/feeds/rss.xml")
    if response.status_code != 200:
        return []
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return list(parsed.entries)


def feed_titles(client: Client) -> list[str]:
    return [entry.title for entry in feed_entries(client)]


def card_meta(client: Client, article_id: str) -> dict[str, str]:
    response = client.http.get(f"/cards/{article_id}")
    if response.status_code != 200:
        return {}
    tree = html.fromstring(response.content)
    tags = tree.xpath("//meta[@property or @name]")
    return {(t.get("property") or t.get("name")): t.get("content") for t in tags}


def pending_post(client: Client, article_id: str, channel: str) -> dict[str, object] | None:
    return next(
        (p for p in client.posts() if p["article_id"] == article_id and p["channel"] == channel),
        None,
    )


def count(runtime: Runtime, model: type, **where: object) -> int:
    with runtime.factory() as session:
        query = select(func.count()).select_from(model).filter_by(**where)
        return int(session.scalar(query) or 0)


def settle(client: Client) -> None:
    """A barrier: once a later article's feed entry appears, earlier tasks have had their turn."""
    marker = article(title="Barrier article")
    assert client.send(envelope(marker)).status_code == 202
    wait_until(lambda: "Barrier article" in feed_titles(client))


def deliveries_for(receiver: Receiver, path: str, article_id: str) -> list[Received]:
    return [r for r in receiver.received(path) if r.json()["article"]["id"] == article_id]


def publish_review_and_deliver(
    client: Client, receiver: Receiver, payload: dict[str, Any], first_time: bool
) -> dict[str, Any]:
    art = payload["article"]
    response = client.send(payload)
    assert response.status_code == (202 if first_time else 200)
    assert response.json() == {"article_id": art["id"], "revision": 1, "status": "published"}

    wait_until(lambda: art["title"] in feed_titles(client))
    meta = wait_until(lambda: card_meta(client, art["id"]))
    assert meta["og:title"] == art["title"]
    assert meta["og:type"] == "article"
    assert meta["og:url"] == art["url"]
    assert meta["og:description"] == art["summary"]
    assert meta["twitter:card"] == "summary_large_image"

    post = wait_until(lambda: pending_post(client, art["id"], "newsroom-hook"))
    approval = client.api("POST", f"/posts/{post['id']}/approve")
    if first_time:
        assert post["status"] == "pending_review"
        assert art["title"] in post["text"] and art["url"] in post["text"]
        assert approval.status_code == 200, approval.text
    else:
        assert approval.status_code == 409  # already sent: nothing to approve
    wait_until(lambda: deliveries_for(receiver, "/newsroom", art["id"]))
    settle(client)
    return post


def test_a_signed_webhook_becomes_a_feed_entry_a_card_and_one_delivered_post(
    client: Client, receiver: Receiver, runtime: Runtime
) -> None:
    art = article("river-crossing", title="Council approves the new river crossing")
    payload = envelope(art, delivery_id="delivery-0001")

    post = publish_review_and_deliver(client, receiver, payload, first_time=True)
    publish_review_and_deliver(client, receiver, payload, first_time=False)

    (delivered,) = deliveries_for(receiver, "/newsroom", "river-crossing")
    signatures.verify(
        delivered.headers["syndicate-signature"], delivered.body, [HOOK_SECRET.encode()]
    )
    assert delivered.json()["text"] == post["text"]
    assert len(deliveries_for(receiver, "/wire", "river-crossing")) == 1
    assert count(runtime, ArticleRevision, article_id="river-crossing") == 1
    assert count(runtime, Post, article_id="river-crossing") == 2
    sent = [p for p in client.posts(status="sent") if p["article_id"] == "river-crossing"]
    assert {p["channel"] for p in sent} == {"newsroom-hook", "wire"}
    with runtime.factory() as session:
        attempts = session.scalars(
            select(Delivery).join(Post).where(Post.article_id == "river-crossing")
        ).all()
    assert [(d.outcome, d.status_code) for d in attempts] == [("sent", 200), ("sent", 200)]


def test_an_auto_approved_channel_delivers_without_review(
    client: Client, receiver: Receiver
) -> None:
    art = article("auto-1")
    assert client.send(envelope(art)).status_code == 202
    wait_until(lambda: receiver.received("/wire"))
    (delivery,) = receiver.received("/wire")
    assert delivery.json()["link"] == art["url"]
    assert delivery.headers["idempotency-key"].startswith("syndicate-post-")
    assert pending_post(client, "auto-1", "newsroom-hook")["status"] == "pending_review"


def test_an_edit_revises_the_feed_entry_in_place_and_recomposes_pending_posts(
    client: Client, runtime: Runtime
) -> None:
    art = article("edit-me", title="First headline")
    assert client.send(envelope(art)).status_code == 202
    wait_until(lambda: feed_titles(client) == ["First headline"])
    first = feed_entries(client)
    wait_until(lambda: pending_post(client, "edit-me", "newsroom-hook"))

    edited = dict(art, title="Second headline", updated_at="2026-11-24T12:00:00Z")
    response = client.send(envelope(edited, event="article.updated"))
    assert response.status_code == 202
    assert response.json() == {"article_id": "edit-me", "revision": 2, "status": "updated"}

    wait_until(lambda: feed_titles(client) == ["Second headline"])
    assert feed_entries(client)[0].id == first[0].id
    post = wait_until(
        lambda: (p := pending_post(client, "edit-me", "newsroom-hook")) and p["revision"] == 2 and p
    )
    assert "Second headline" in post["text"]
    assert count(runtime, Post, article_id="edit-me") == 2


def test_the_same_content_in_a_new_delivery_makes_no_new_revision(
    client: Client, runtime: Runtime
) -> None:
    art = article("same-content")
    assert client.send(envelope(art)).status_code == 202
    response = client.send(envelope(art, event="article.updated"))
    assert response.status_code == 202
    assert response.json() == {"article_id": "same-content", "revision": 1, "status": "unchanged"}
    assert count(runtime, ArticleRevision, article_id="same-content") == 1


def test_unpublishing_removes_the_article_from_the_feed_and_cancels_unsent_posts(
    client: Client,
) -> None:
    art = article("retracted", title="A story we retract")
    assert client.send(envelope(art)).status_code == 202
    wait_until(lambda: "A story we retract" in feed_titles(client))
    wait_until(lambda: pending_post(client, "retracted", "newsroom-hook"))

    response = client.send(envelope({"id": "retracted"}, event="article.unpublished"))
    assert response.status_code == 202
    assert response.json()["status"] == "unpublished"

    wait_until(lambda: "A story we retract" not in feed_titles(client))
    assert pending_post(client, "retracted", "newsroom-hook")["status"] == "cancelled"
    assert client.http.get("/cards/retracted").status_code == 410


def wire_events(receiver: Receiver, article_id: str, event: str) -> list[Received]:
    return [
        r
        for r in receiver.received("/wire")
        if r.json()["article"]["id"] == article_id and r.json()["event"] == event
    ]


def test_a_sent_post_is_edited_when_its_article_changes_and_deleted_when_it_goes(
    client: Client, receiver: Receiver, people: dict[Role, Person]
) -> None:
    art = article("followed", title="First headline")
    assert client.send(envelope(art)).status_code == 202
    (created,) = wait_until(lambda: wire_events(receiver, "followed", "post.created"))

    edited = dict(art, title="Second headline", updated_at="2026-11-24T12:00:00Z")
    assert client.send(envelope(edited, event="article.updated")).status_code == 202
    (updated,) = wait_until(lambda: wire_events(receiver, "followed", "post.updated"))
    signatures.verify(updated.headers["syndicate-signature"], updated.body, [HOOK_SECRET.encode()])
    assert "Second headline" in updated.json()["text"]
    assert updated.json()["id"] == created.json()["idempotency_key"]

    assert client.send(envelope({"id": "followed"}, event="article.unpublished")).status_code == 202
    (deleted,) = wait_until(lambda: wire_events(receiver, "followed", "post.deleted"))
    assert deleted.json()["id"] == created.json()["id"]
    post = wait_until(
        lambda: (p := pending_post(client, "followed", "wire")) and p["status"] == "deleted" and p
    )

    http = signed_in(client.base_url, "viewer-1")
    page = http.get(f"/review/posts/{post['id']}").text
    assert "Edits and deletes on the platform" in page
    assert page.count('class="status-done"') == 2
    assert "attempt 2 (edit): <strong>edited</strong>" in page
    assert "attempt 3 (delete): <strong>deleted</strong>" in page


def test_work_the_broker_lost_is_found_again_from_the_database(
    client: Client, runtime: Runtime
) -> None:
    from syndicate.articles import receive
    from syndicate.cms import parse_generic
    from syndicate.models import utcnow
    from workers.app import make_celery

    # Stored a minute ago, but never enqueued: as if the broker lost the messages.
    art = article("lost-message", title="Nobody enqueued this")
    receive(runtime.factory, parse_generic(envelope(art)), utcnow() - timedelta(minutes=1))
    assert "Nobody enqueued this" not in feed_titles(client)

    make_celery(runtime.settings).send_task("syndicate.sweep")
    wait_until(lambda: "Nobody enqueued this" in feed_titles(client), timeout=30)
    wait_until(lambda: pending_post(client, "lost-message", "newsroom-hook"))
