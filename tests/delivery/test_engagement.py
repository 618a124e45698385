"""Sent posts' likes, reposts and replies are read back at 1 h, 6 h, 24 h and 7 days, once
each, from Mastodon (mastodon-mock) and Bluesky (an AppView's getPosts on a loopback PDS);
a refused read is retried on the platform's wait and never touches the post."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import requests
from sqlalchemy import select, update

from syndicate import engagement
from syndicate.config import ChannelConfig
from syndicate.models import Delivery, Engagement, Post, PostStatus, Role, utcnow
from syndicate.platforms.base import Receipt
from syndicate.platforms.bluesky import Bluesky
from syndicate.runtime import Runtime
from tests.client import Client
from tests.delivery.sent import sent
from tests.delivery.test_post_changes import sent_post, toots
from tests.fakes.mastodon_mock import TOKEN, MastodonMock
from tests.fakes.pds import DID, HANDLE, PASSWORD, FakePDS
from tests.people import Person
from tests.review.browser_session import signed_in


@pytest.fixture(scope="module")
def mastodon() -> Iterator[MastodonMock]:
    server = MastodonMock()
    yield server
    server.stop()


def went_out(runtime: Runtime, post_id: int, ago: timedelta) -> None:
    with runtime.factory.begin() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.post_id == post_id)
            .values(finished_at=utcnow() - ago, started_at=utcnow() - ago)
        )


def rows(runtime: Runtime, post_id: int) -> dict[str, Engagement]:
    with runtime.factory() as session:
        found = session.scalars(select(Engagement).where(Engagement.post_id == post_id))
        return {row.checkpoint: row for row in found}


def test_mastodon_counts_are_read_once_at_each_checkpoint_that_has_come(
    runtime: Runtime, mastodon: MastodonMock, client: Client, people: dict[Role, Person]
) -> None:
    config = toots(mastodon)
    post = sent_post(runtime, config, "counted-1")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for action in ("favourite", "reblog"):
        httpx.post(f"{mastodon.url}/api/v1/statuses/{post.remote_id}/{action}", headers=headers)
    went_out(runtime, post.id, timedelta(hours=7))

    with runtime.factory.begin() as session:
        handed = engagement.record_due(session, utcnow())
    assert sorted(rows(runtime, post.id)) == ["1h", "6h"]  # 24 h and 7 days have not come
    for engagement_id in handed:
        assert engagement.read(runtime.factory, engagement_id, config).status == "read"
    with runtime.factory.begin() as session:
        assert engagement.record_due(session, utcnow()) == []  # each checkpoint once

    read = rows(runtime, post.id)["6h"]
    assert (read.likes, read.reposts, read.replies) == (1, 1, 0)
    answer = client.api("GET", f"/posts/{post.id}/engagement").json()
    assert [c["checkpoint"] for c in answer["checkpoints"]] == ["1h", "6h"]
    assert answer["checkpoints"][1]["likes"] == 1
    article = client.api("GET", "/articles/counted-1/engagement").json()
    assert article["posts"][0]["post_id"] == post.id and article["shares"] == {}
    page = signed_in(client.base_url, "viewer-1").get("/review/articles/counted-1").text
    assert "<title>likes after 6h: 1</title>" in page


def test_a_refused_read_waits_as_the_platform_says_and_leaves_the_post_alone(
    runtime: Runtime, mastodon: MastodonMock, clean: None
) -> None:
    config = toots(mastodon)
    post = sent_post(runtime, config, "limited-1")
    went_out(runtime, post.id, timedelta(hours=1, minutes=5))
    with runtime.factory.begin() as session:
        (engagement_id,) = engagement.record_due(session, utcnow())
    mastodon.fault({"type": "ratelimit"})
    outcome = engagement.read(runtime.factory, engagement_id, config)
    assert outcome.status == "pending" and outcome.retry_in == 300
    with runtime.factory.begin() as session:
        assert engagement.record_due(session, utcnow()) == []  # not before its time
        assert session.get_one(Post, post.id).status == PostStatus.SENT


def test_bluesky_counts_come_from_get_posts(monkeypatch: pytest.MonkeyPatch) -> None:
    pds = FakePDS()
    try:
        monkeypatch.setenv("TEST_BSKY_PASSWORD", PASSWORD)
        channel = ChannelConfig(
            name="sky",
            platform="bluesky",
            url=pds.url,
            target=HANDLE,
            secret_env="TEST_BSKY_PASSWORD",
        )
        sky = Bluesky(channel, requests.Session())
        uri = f"at://{DID}/app.bsky.feed.post/3kabc"
        pds.counts[uri] = {"likeCount": 12, "repostCount": 3, "replyCount": 2, "quoteCount": 1}
        counts = sky.counts(sent(Receipt(200, uri, None)))
        assert (counts.likes, counts.reposts, counts.replies, counts.quotes) == (12, 3, 2, 1)
    finally:
        pds.stop()
