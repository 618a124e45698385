"""The CMS steers an article's social posts with the `syndication` object: whether to share at
all, on which channels, with which copy, and not before when; over the real web app and worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from syndicate.models import Article, Post, PostStatus, utcnow
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.fakes.receiver import Receiver
from tests.pipeline.test_article_to_post import (
    count,
    deliveries_for,
    feed_titles,
    pending_post,
    settle,
)
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker")


def controlled(article_id: str, **syndication: Any) -> dict[str, Any]:
    return article(article_id, title=f"Story {article_id}", syndication=syndication)


def posts_composed(runtime: Runtime, article_id: str) -> bool:
    with runtime.factory() as session:
        stored = session.get(Article, article_id)
        return stored is not None and stored.posts_version == stored.version


def stored_post(runtime: Runtime, post_id: int) -> Post:
    with runtime.factory() as session:
        return session.get_one(Post, post_id)


def excluded_from(runtime: Runtime, article_id: str) -> dict[str, str]:
    with runtime.factory() as session:
        return dict(session.get_one(Article, article_id).excluded_from)


def test_share_false_keeps_the_feed_entry_but_makes_no_posts(
    client: Client, runtime: Runtime
) -> None:
    assert client.send(envelope(controlled("quiet-1", share=False))).status_code == 202
    wait_until(lambda: "Story quiet-1" in feed_titles(client))
    wait_until(lambda: posts_composed(runtime, "quiet-1"))
    assert count(runtime, Post, article_id="quiet-1") == 0
    assert excluded_from(runtime, "quiet-1") == {
        "newsroom-hook": "the CMS's syndication.share is false",
        "wire": "the CMS's syndication.share is false",
    }


def test_channels_and_exclude_channels_choose_where_it_goes(
    client: Client, runtime: Runtime, receiver: Receiver
) -> None:
    assert client.send(envelope(controlled("only-wire", channels=["wire"]))).status_code == 202
    not_wire = controlled("not-wire", exclude_channels=["wire"])
    assert client.send(envelope(not_wire)).status_code == 202
    wait_until(lambda: deliveries_for(receiver, "/wire", "only-wire"))
    wait_until(lambda: posts_composed(runtime, "not-wire"))
    assert pending_post(client, "only-wire", "newsroom-hook") is None
    assert pending_post(client, "not-wire", "newsroom-hook") is not None
    assert pending_post(client, "not-wire", "wire") is None
    assert excluded_from(runtime, "only-wire") == {
        "newsroom-hook": "the CMS's syndication.channels lists only wire"
    }
    assert excluded_from(runtime, "not-wire") == {
        "wire": "the CMS's syndication.exclude_channels names it"
    }


def test_social_copy_replaces_the_title_and_summary_per_channel(
    client: Client, receiver: Receiver
) -> None:
    art = controlled(
        "copy-1",
        social_title="Bridge: yes",
        social_text={"default": "Copy for every channel", "wire": "Copy for the wire only"},
    )
    assert client.send(envelope(art)).status_code == 202
    (sent,) = wait_until(lambda: deliveries_for(receiver, "/wire", "copy-1"))
    assert "Bridge: yes" in sent.json()["text"]
    assert "Copy for the wire only" in sent.json()["text"]
    assert "Story copy-1" not in sent.json()["text"]
    review = wait_until(lambda: pending_post(client, "copy-1", "newsroom-hook"))
    assert "Copy for every channel" in str(review["text"])
    assert "Bridge: yes" in str(review["text"])


def test_an_embargo_holds_an_approved_post_until_an_update_lifts_it(
    client: Client, runtime: Runtime, receiver: Receiver
) -> None:
    later = (utcnow() + timedelta(hours=2)).isoformat()
    art = controlled("embargo-1", not_before=later)
    assert client.send(envelope(art)).status_code == 202
    wire = wait_until(lambda: pending_post(client, "embargo-1", "wire"))
    assert wire["status"] == "approved"  # the channel approves on its own
    held = wait_until(lambda: (p := stored_post(runtime, wire["id"])).next_attempt_at and p)
    assert held.status == PostStatus.APPROVED
    assert held.next_attempt_at.isoformat() == later  # held for the embargo, not a retry
    settle(client)
    assert deliveries_for(receiver, "/wire", "embargo-1") == []

    lifted = {**art, "updated_at": utcnow().isoformat(), "syndication": {"not_before": None}}
    assert client.send(envelope(lifted, "article.updated")).status_code == 202
    wait_until(lambda: deliveries_for(receiver, "/wire", "embargo-1"))


def test_an_update_that_turns_sharing_off_cancels_the_pending_post(
    client: Client, runtime: Runtime
) -> None:
    art = article("turned-off")
    assert client.send(envelope(art)).status_code == 202
    wait_until(lambda: pending_post(client, "turned-off", "newsroom-hook"))
    off = {**art, "updated_at": utcnow().isoformat(), "syndication": {"share": False}}
    assert client.send(envelope(off, "article.updated")).status_code == 202
    cancelled = wait_until(
        lambda: (
            (p := pending_post(client, "turned-off", "newsroom-hook"))
            and p["status"] == "cancelled"
            and p
        )
    )
    assert cancelled["problem"] == "excluded by the CMS's syndication.share is false"


def test_unknown_keys_and_channels_are_refused_naming_them(client: Client) -> None:
    typo = client.send(envelope(controlled("typo-1", chanels=["wire"])))
    assert typo.status_code == 422
    assert [d["field"] for d in typo.json()["errors"]] == ["article.syndication.chanels"]

    unknown = controlled("typo-2", channels=["wire", "tiktok"], social_text={"myspace": "Hi"})
    answer = client.send(envelope(unknown))
    assert answer.status_code == 422
    fields = [d["field"] for d in answer.json()["errors"]]
    assert fields == ["article.syndication.channels.1", "article.syndication.social_text.myspace"]
    assert "'tiktok'" in answer.json()["errors"][0]["message"]
    assert "Story typo-1" not in feed_titles(client) and "Story typo-2" not in feed_titles(client)
