"""When a send to X goes unanswered, the post may or may not be on the account. Rather than
post blindly again or leave it for a person, the next attempt looks at the account's recent
posts for the article's link: found, it is recorded as sent; not found, it is sent."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from syndicate import articles, delivery, posts
from syndicate.adapters import adapter
from syndicate.cms import parse_generic
from syndicate.config import ChannelConfig, SiteConfig, SyndicateConfig
from syndicate.delivery import DeliveryPolicy, Outcome
from syndicate.models import Delivery, Post, PostStatus, utcnow
from syndicate.platforms.base import DeliveryError, Draft
from syndicate.runtime import Runtime
from tests.client import article, envelope
from tests.fakes.x_api import FakeX

POLICY = DeliveryPolicy(max_attempts=3, lease_seconds=60, look_delay_seconds=20)


@pytest.fixture
def x_api(clean: None) -> Iterator[FakeX]:
    server = FakeX()
    os.environ["TEST_LOOK_X_TOKEN"], _refresh = server.issue()
    yield server
    server.stop()


@pytest.fixture
def config(x_api: FakeX) -> SyndicateConfig:
    channel = ChannelConfig(
        name="x-main",
        platform="x",
        url=x_api.url,
        secret_env="TEST_LOOK_X_TOKEN",
        auto_approve=True,
        timeout_seconds=1,
    )
    return SyndicateConfig(site=SiteConfig(title="Test"), channels=[channel])


@pytest.fixture
def post_id(runtime: Runtime, config: SyndicateConfig) -> int:
    articles.receive(runtime.factory, parse_generic(envelope(article("look"))), utcnow())
    with runtime.factory.begin() as session:
        (due,) = posts.compose_posts(session, "look", config, runtime.templates, utcnow()).due
    return due


def deliver(runtime: Runtime, config: SyndicateConfig, post_id: int, later: float = 0) -> Outcome:
    now = utcnow() + timedelta(seconds=later)
    return delivery.deliver(runtime.factory, post_id, config, POLICY, now)


def state(runtime: Runtime, post_id: int) -> tuple[Post, list[str]]:
    with runtime.factory() as session:
        post = session.get_one(Post, post_id)
        outcomes = session.scalars(
            select(Delivery.outcome).where(Delivery.post_id == post_id).order_by(Delivery.attempt)
        )
        return post, list(outcomes)


def test_a_post_that_arrived_despite_the_lost_answer_is_found_not_sent_again(
    runtime: Runtime, config: SyndicateConfig, post_id: int, x_api: FakeX
) -> None:
    x_api.drop_next_post_answer = True

    first = deliver(runtime, config, post_id)

    post, _ = state(runtime, post_id)
    assert first.status == "retry" and first.retry_in == 20
    assert post.status == PostStatus.APPROVED and post.look_before_sending
    assert "looking for it on the account" in post.problem
    assert deliver(runtime, config, post_id, later=5).status == "skipped"  # not yet

    assert deliver(runtime, config, post_id, later=30).status == "sent"

    (tweet,) = x_api.posted()
    post, outcomes = state(runtime, post_id)
    assert post.status == PostStatus.SENT and post.remote_id == tweet["id"]
    assert not post.look_before_sending and post.problem == ""
    assert outcomes == ["unknown", "sent"]


def test_a_post_that_never_arrived_is_sent_once_after_looking(
    runtime: Runtime, config: SyndicateConfig, post_id: int, x_api: FakeX
) -> None:
    x_api.drop_next_post = True
    assert deliver(runtime, config, post_id).status == "retry"
    assert x_api.posted() == []

    assert deliver(runtime, config, post_id, later=30).status == "sent"

    (tweet,) = x_api.posted()
    post, outcomes = state(runtime, post_id)
    assert post.remote_id == tweet["id"] and outcomes == ["unknown", "sent"]


def test_a_post_left_sending_by_a_dead_worker_is_looked_for_first(
    runtime: Runtime, config: SyndicateConfig, post_id: int, x_api: FakeX
) -> None:
    with runtime.factory.begin() as session:
        post = session.get_one(Post, post_id)
        post.status = PostStatus.SENDING
        post.updated_at = utcnow() - timedelta(minutes=10)
        draft = Draft(post.text, post.link)
    # The worker's request reached X; then the worker died before it could record the answer.
    x_api.drop_next_post_answer = True
    with pytest.raises(DeliveryError):
        adapter(config.channels[0]).send(draft, "k")

    with runtime.factory.begin() as session:
        settled = delivery.reconcile_stuck(session, utcnow(), 60, config)
    assert settled == [post_id]
    post, _ = state(runtime, post_id)
    assert post.status == PostStatus.APPROVED and post.look_before_sending

    assert deliver(runtime, config, post_id).status == "sent"
    (tweet,) = x_api.posted()
    assert state(runtime, post_id)[0].remote_id == tweet["id"]
