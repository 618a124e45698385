"""On X a long story goes out as a chain of replies (`reply.in_reply_to_tweet_id`), the first
reply follows it, the share image carries its alt text, and counts come back from
`public_metrics`; X has no idempotency key, so a reply whose answer was lost is looked for
among the account's posts before it is made again. Against the loopback X of tests.fakes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from syndicate import engagement
from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.models import Engagement, Post, utcnow
from syndicate.platforms.base import Draft
from syndicate.platforms.x import X
from syndicate.runtime import Runtime
from tests.client import article
from tests.delivery.chains import (
    LONG_SUMMARY,
    apply,
    composed,
    follow,
    looks_first,
    made,
    one_channel,
    send,
)
from tests.fakes.images import photo_bytes
from tests.fakes.x_api import FakeX


@pytest.fixture
def x_api(clean: None) -> Iterator[FakeX]:
    server = FakeX()
    os.environ["TEST_X_ACCESS"], _ = server.issue()
    yield server
    server.stop()


def site(x_api: FakeX, **options: Any) -> SyndicateConfig:
    return one_channel(
        ChannelConfig(
            name="x-main",
            platform="x",
            url=x_api.url,
            secret_env="TEST_X_ACCESS",
            timeout_seconds=2,
            **options,
        )
    )


def test_a_thread_and_its_first_reply_go_out_as_a_reply_chain_once_despite_a_lost_answer(
    runtime: Runtime, x_api: FakeX
) -> None:
    config = site(x_api, thread="auto", first_reply="posts/x/first_reply.txt.j2")
    art = article("x-thread-1", title="Night trains return", summary=LONG_SUMMARY)
    post_id = composed(runtime, config, art)
    with runtime.factory() as session:
        thread = session.get_one(Post, post_id).extras["thread"]
    assert len(thread) >= 2
    (part_two,) = send(runtime, config, post_id).changes
    outcome = apply(runtime, config, part_two)
    assert outcome.status == "replied"

    # X stores part 3 and the connection drops before its answer: the attempt is unknown.
    (part_three,) = outcome.changes
    x_api.drop_next_post_answer = True
    lost = apply(runtime, config, part_three)
    assert lost.status == "retry" and looks_first(runtime, part_three)
    found = apply(runtime, config, part_three, later=lost.retry_in or 0)
    assert found.status == "replied"
    follow(runtime, config, found)

    tweets = x_api.posted()
    assert len(tweets) == 1 + len(thread) + 1  # the post, each reply of the thread, the first reply
    chain = [t.get("referenced_tweets", [{}])[0].get("id") for t in tweets]
    assert chain == [None, *[t["id"] for t in tweets[:-1]]]
    assert [d.remote_id for d in made(runtime, post_id)] == [t["id"] for t in tweets]
    assert tweets[1]["text"].startswith("2/")
    assert art["url"] in tweets[-1]["entities"]["urls"][0]["expanded_url"]


def test_with_photo_the_share_image_goes_up_described_by_the_post_s_alt_text(
    x_api: FakeX,
) -> None:
    channel = site(x_api, photo=True).channels[0]
    image = photo_bytes(1200, 630)
    link = "https://news.example/2026/ferry"
    draft = Draft(
        f"The ferry is back {link}", link, {"alt": "The ferry at dusk"}, (image, "image/jpeg")
    )
    receipt = X(channel, requests.Session()).send(draft, "k")
    (tweet,) = x_api.posted()
    assert receipt.remote_id == tweet["id"]
    (media_id,) = tweet["media_ids"]
    assert x_api.media[media_id]["bytes"] == image
    assert x_api.media[media_id]["media_category"] == "tweet_image"
    assert x_api.media[media_id]["alt_text"] == {"text": "The ferry at dusk"}


def test_counts_are_read_from_public_metrics(runtime: Runtime, x_api: FakeX) -> None:
    config = site(x_api, first_reply="posts/x/first_reply.txt.j2")
    post_id = composed(runtime, config, article("x-counted-1"))
    follow(runtime, config, send(runtime, config, post_id))
    (post_delivery, _) = made(runtime, post_id)
    x_api.likes[str(post_delivery.remote_id)] = 7
    with runtime.factory.begin() as session:
        (row,) = engagement.record_due(session, utcnow() + timedelta(hours=2))
    assert engagement.read(runtime.factory, row, config).status == "read"
    with runtime.factory() as session:
        counted = session.scalars(select(Engagement).where(Engagement.post_id == post_id)).one()
    assert (counted.likes, counted.replies, counted.reposts) == (7, 1, 0)
