"""Delivering to Mastodon, against the mastodon_mock server on loopback."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from syndicate import articles, delivery, posts
from syndicate.cms import parse_generic
from syndicate.config import ChannelConfig, SiteConfig, SyndicateConfig
from syndicate.delivery import DeliveryPolicy
from syndicate.models import Delivery, Post, PostStatus, utcnow
from syndicate.platforms.base import DeliveryError, Draft
from syndicate.platforms.mastodon import Mastodon
from syndicate.runtime import Runtime
from tests.client import article, envelope
from tests.fakes.images import photo_bytes
from tests.fakes.mastodon_mock import TOKEN, MastodonMock

POLICY = DeliveryPolicy(max_attempts=3, lease_seconds=60)


@pytest.fixture(scope="module")
def mastodon() -> Iterator[MastodonMock]:
    server = MastodonMock()
    yield server
    server.stop()


@pytest.fixture
def config(mastodon: MastodonMock) -> SyndicateConfig:
    os.environ["TEST_MASTODON_TOKEN"] = TOKEN
    return SyndicateConfig(
        site=SiteConfig(title="Test"),
        channels=[
            ChannelConfig(
                name="toots",
                platform="mastodon",
                url=mastodon.url,
                secret_env="TEST_MASTODON_TOKEN",
                auto_approve=True,
                timeout_seconds=2,
                visibility="unlisted",
            )
        ],
    )


@pytest.fixture
def post_id(runtime: Runtime, config: SyndicateConfig, clean: None) -> int:
    art = article("m1", title="Zürich café reopens", language="de")
    articles.receive(runtime.factory, parse_generic(envelope(art)), utcnow())
    with runtime.factory.begin() as session:
        (due,) = posts.compose_posts(session, "m1", config, runtime.templates, utcnow()).due
    return due


def deliver(runtime: Runtime, config: SyndicateConfig, post_id: int, later: float = 0) -> str:
    now = utcnow() + timedelta(seconds=later)
    return delivery.deliver(runtime.factory, post_id, config, POLICY, now).status


def stored(runtime: Runtime, post_id: int) -> tuple[Post, list[Delivery]]:
    with runtime.factory() as session:
        post = session.get_one(Post, post_id)
        attempts = list(session.scalars(select(Delivery).where(Delivery.post_id == post_id)))
    return post, attempts


def test_it_posts_a_status_with_language_and_visibility(
    runtime: Runtime, config: SyndicateConfig, post_id: int, mastodon: MastodonMock
) -> None:
    assert deliver(runtime, config, post_id) == "sent"
    post, (attempt,) = stored(runtime, post_id)
    assert post.status == PostStatus.SENT and post.remote_id and post.remote_url
    assert attempt.remote_id == post.remote_id and attempt.status_code == 200
    status = mastodon.status(post.remote_id)
    assert "Zürich café reopens" in status["content"]
    assert status["visibility"] == "unlisted"
    assert status["language"] == "de"


def test_the_same_idempotency_key_never_makes_a_second_status(
    mastodon: MastodonMock, config: SyndicateConfig
) -> None:
    adapter = Mastodon(config.channels[0], requests.Session())
    draft = Draft(text="Only once https://news.example.com/x", link="")
    first = adapter.send(draft, "syndicate-post-idem")
    second = adapter.send(draft, "syndicate-post-idem")
    assert first.remote_id == second.remote_id


def test_a_rate_limit_is_retried_after_the_platform_s_wait(
    runtime: Runtime, config: SyndicateConfig, post_id: int, mastodon: MastodonMock
) -> None:
    mastodon.fault({"type": "ratelimit"})
    outcome = delivery.deliver(runtime.factory, post_id, config, POLICY, utcnow())
    assert outcome.status == "retry" and outcome.retry_in == 300
    assert deliver(runtime, config, post_id, later=301) == "sent"
    _, attempts = stored(runtime, post_id)
    assert [(a.outcome, a.status_code) for a in attempts] == [("retry", 429), ("sent", 200)]


def test_a_server_error_then_success(
    runtime: Runtime, config: SyndicateConfig, post_id: int, mastodon: MastodonMock
) -> None:
    mastodon.fault({"type": "status", "status": 500})
    assert deliver(runtime, config, post_id) == "retry"
    assert deliver(runtime, config, post_id, later=400) == "sent"


def test_a_refused_token_pauses_the_channel_and_says_why(
    runtime: Runtime, config: SyndicateConfig, post_id: int
) -> None:
    os.environ["TEST_MASTODON_TOKEN"] = "revoked"
    assert deliver(runtime, config, post_id) == "paused"
    post, (attempt,) = stored(runtime, post_id)
    assert attempt.status_code == 401 and "HTTP 401" in post.problem
    assert post.status == PostStatus.APPROVED  # it waits for new credentials, not failed
    with pytest.raises(DeliveryError) as error:
        Mastodon(config.channels[0], requests.Session()).send(Draft(text="x", link=""), "k")
    assert error.value.credentials and error.value.permanent


def test_a_missing_token_pauses_the_channel_with_a_clear_reason(
    runtime: Runtime, config: SyndicateConfig, post_id: int
) -> None:
    del os.environ["TEST_MASTODON_TOKEN"]
    assert deliver(runtime, config, post_id) == "paused"
    post, _ = stored(runtime, post_id)
    assert "no credential" in post.problem


def test_a_timeout_after_sending_is_retried_safely_under_the_same_key(
    runtime: Runtime, config: SyndicateConfig, post_id: int, mastodon: MastodonMock
) -> None:
    before = mastodon.count_statuses()
    mastodon.fault({"type": "latency", "delay_ms": 2500})  # answers after our 2 s timeout
    assert deliver(runtime, config, post_id) == "retry"  # not "unknown": the key protects us
    time.sleep(1.5)  # the slow request completes on the server meanwhile
    assert deliver(runtime, config, post_id, later=400) == "sent"
    _post, attempts = stored(runtime, post_id)
    assert [a.outcome for a in attempts] == ["retry", "sent"]
    assert mastodon.count_statuses() == before + 1


def test_with_photo_on_the_share_image_is_attached_and_described(
    config: SyndicateConfig, mastodon: MastodonMock
) -> None:
    channel = config.channels[0].model_copy(update={"photo": True})
    toots = Mastodon(channel, requests.Session())
    link = "https://news.example/2026/m1"
    draft = toots.finish(
        Draft(
            f"Zürich café reopens {link}",
            link,
            {
                "article": {"title": "Zürich café reopens", "language": "de"},
                "alt": "The café's terrace by the lake, full of people",
            },
            (photo_bytes(1200, 630), "image/jpeg"),
        )
    )
    receipt = toots.send(draft, "photo-key-1")
    status = mastodon.status(str(receipt.remote_id))
    (media,) = status["media_attachments"]
    assert media["type"] == "image"
    assert media["description"] == "The café's terrace by the lake, full of people"
    assert status["language"] == "de" and status["visibility"] == "unlisted"


def test_without_photo_no_image_is_uploaded(
    config: SyndicateConfig, mastodon: MastodonMock
) -> None:
    toots = Mastodon(config.channels[0], requests.Session())
    link = "https://news.example/2026/m2"
    draft = Draft(f"Plain {link}", link, {}, (photo_bytes(1200, 630), "image/jpeg"))
    status = mastodon.status(str(toots.send(draft, "photo-key-2").remote_id))
    assert status["media_attachments"] == []
