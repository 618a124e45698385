"""On Threads a long story goes out as a chain of replies, each a container naming
`reply_to_id` that is published like a post; the first reply follows; counts come from the
media's insights. Threads has no idempotency key, so a reply whose answer was lost is looked
for among the post's replies before it is made again. Against the loopback Threads API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from syndicate import engagement
from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.models import Engagement, Post, utcnow
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
from tests.fakes.threads_api import TOKEN, USER_ID, FakeThreads


@pytest.fixture
def threads_api(clean: None) -> Iterator[FakeThreads]:
    server = FakeThreads()
    os.environ["TEST_THREADS_TOKEN"] = TOKEN
    yield server
    server.stop()


def site(threads_api: FakeThreads, **options: Any) -> SyndicateConfig:
    return one_channel(
        ChannelConfig(
            name="threads",
            platform="threads",
            url=threads_api.url,
            target=USER_ID,
            secret_env="TEST_THREADS_TOKEN",
            timeout_seconds=2,
            **options,
        )
    )


def test_a_thread_and_its_first_reply_are_published_as_replies_once_despite_a_lost_answer(
    runtime: Runtime, threads_api: FakeThreads
) -> None:
    config = site(
        threads_api, thread="auto", first_reply="posts/threads/first_reply.txt.j2", max_length=300
    )
    art = article("th-thread-1", title="Night trains return", summary=LONG_SUMMARY)
    post_id = composed(runtime, config, art)
    with runtime.factory() as session:
        thread = session.get_one(Post, post_id).extras["thread"]
    assert len(thread) >= 2
    (part_two,) = send(runtime, config, post_id).changes

    # Threads publishes part 2 and the answer is lost: the retry finds it among the replies.
    threads_api.drop_next_publish_answer = True
    lost = apply(runtime, config, part_two)
    assert lost.status == "retry" and looks_first(runtime, part_two)
    found = apply(runtime, config, part_two, later=lost.retry_in or 0)
    assert found.status == "replied"
    follow(runtime, config, found)

    published = threads_api.posts()
    assert len(published) == 1 + len(thread) + 1
    assert [p.get("reply_to_id") for p in published] == [None, *[p["id"] for p in published[:-1]]]
    assert [d.remote_id for d in made(runtime, post_id)] == [p["id"] for p in published]
    assert published[0]["link_attachment"] == art["url"]
    assert all("link_attachment" not in p for p in published[1:])
    assert published[1]["text"].startswith("2/")


def test_counts_are_read_from_the_media_insights(
    runtime: Runtime, threads_api: FakeThreads
) -> None:
    config = site(threads_api, first_reply="posts/threads/first_reply.txt.j2")
    post_id = composed(runtime, config, article("th-counted-1"))
    follow(runtime, config, send(runtime, config, post_id))
    (post_delivery, _) = made(runtime, post_id)
    threads_api.likes[str(post_delivery.remote_id)] = 4
    with runtime.factory.begin() as session:
        (row,) = engagement.record_due(session, utcnow() + timedelta(hours=2))
    assert engagement.read(runtime.factory, row, config).status == "read"
    with runtime.factory() as session:
        counted = session.scalars(select(Engagement).where(Engagement.post_id == post_id)).one()
    assert (counted.likes, counted.replies, counted.reposts, counted.quotes) == (4, 1, 0, 0)
