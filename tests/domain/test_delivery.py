"""Delivery sends each approved post once, records every attempt, and never guesses."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from syndicate import articles, delivery, posts
from syndicate.cms import parse_generic
from syndicate.config import ChannelConfig, SiteConfig, SyndicateConfig
from syndicate.delivery import DeliveryPolicy
from syndicate.models import Delivery, Post, PostStatus, utcnow
from syndicate.runtime import Runtime
from tests.client import article, envelope
from tests.fakes.receiver import Fault, Receiver
from tests.servers import free_port

POLICY = DeliveryPolicy(max_attempts=3, lease_seconds=60)


@pytest.fixture
def config(receiver: Receiver) -> SyndicateConfig:
    return SyndicateConfig(
        site=SiteConfig(title="Test"),
        channels=[
            ChannelConfig(
                name="hook",
                platform="webhook",
                url=f"{receiver.url}/hook",
                auto_approve=True,
                timeout_seconds=1,
            )
        ],
    )


@pytest.fixture
def post_id(runtime: Runtime, config: SyndicateConfig, clean: None) -> int:
    articles.receive(runtime.factory, parse_generic(envelope(article("a"))), utcnow())
    with runtime.factory.begin() as session:
        (due,) = posts.compose_posts(session, "a", config, runtime.templates, utcnow()).due
    return due


def deliver(runtime: Runtime, config: SyndicateConfig, post_id: int, later: float = 0):
    now = utcnow() + timedelta(seconds=later)
    return delivery.deliver(runtime.factory, post_id, config, POLICY, now)


def state(runtime: Runtime, post_id: int) -> tuple[Post, list[Delivery]]:
    with runtime.factory() as session:
        post = session.get_one(Post, post_id)
        attempts = list(session.scalars(select(Delivery).where(Delivery.post_id == post_id)))
    return post, attempts


def test_it_sends_an_approved_post_once_and_records_the_attempt(
    runtime: Runtime, config: SyndicateConfig, post_id: int, receiver: Receiver
) -> None:
    assert deliver(runtime, config, post_id).status == "sent"
    assert deliver(runtime, config, post_id).status == "skipped"
    assert len(receiver.received("/hook")) == 1
    post, attempts = state(runtime, post_id)
    assert post.status == PostStatus.SENT
    assert [(a.attempt, a.outcome, a.status_code) for a in attempts] == [(1, "sent", 200)]
    assert attempts[0].finished_at is not None and attempts[0].latency_ms is not None


def test_concurrent_deliveries_of_one_post_send_it_once(
    runtime: Runtime, config: SyndicateConfig, post_id: int, receiver: Receiver
) -> None:
    outcomes: list[str] = []
    threads = [
        threading.Thread(target=lambda: outcomes.append(deliver(runtime, config, post_id).status))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["sent"] + ["skipped"] * 7
    assert len(receiver.received("/hook")) == 1


def test_it_retries_after_a_server_error_then_succeeds(
    runtime: Runtime, config: SyndicateConfig, post_id: int, receiver: Receiver
) -> None:
    receiver.fail_next(Fault(status=500, body=b"upstream broke"))
    first = deliver(runtime, config, post_id)
    assert first.status == "retry" and first.retry_in is not None
    post, _ = state(runtime, post_id)
    assert post.status == PostStatus.APPROVED and "upstream broke" in post.problem
    assert deliver(runtime, config, post_id).status == "skipped"  # not due yet
    assert deliver(runtime, config, post_id, later=400).status == "sent"
    _, attempts = state(runtime, post_id)
    assert [(a.outcome, a.status_code) for a in attempts] == [("retry", 500), ("sent", 200)]


def test_it_honours_retry_after_on_429(
    runtime: Runtime, config: SyndicateConfig, post_id: int, receiver: Receiver
) -> None:
    receiver.fail_next(Fault(status=429, headers={"Retry-After": "120"}))
    outcome = deliver(runtime, config, post_id)
    assert outcome.retry_in == 120
    post, _ = state(runtime, post_id)
    assert post.next_attempt_at is not None
    assert 110 < (post.next_attempt_at - utcnow()).total_seconds() <= 120


def test_a_client_error_fails_at_once_with_the_platform_message(
    runtime: Runtime, config: SyndicateConfig, post_id: int, receiver: Receiver
) -> None:
    receiver.fail_next(Fault(status=422, body=b'{"error": "Validation failed: text too long"}'))
    assert deliver(runtime, config, post_id).status == PostStatus.FAILED
    post, attempts = state(runtime, post_id)
    assert post.status == PostStatus.FAILED and "text too long" in post.problem
    assert attempts[0].status_code == 422


def test_refused_credentials_pause_the_channel_instead_of_failing_its_posts(
    runtime: Runtime, config: SyndicateConfig, post_id: int, receiver: Receiver
) -> None:
    from syndicate import channels

    receiver.fail_next(Fault(status=401, body=b'{"error": "bad token"}'))
    assert deliver(runtime, config, post_id).status == "paused"
    post, _ = state(runtime, post_id)
    assert post.status == PostStatus.APPROVED and "bad token" in post.problem
    assert deliver(runtime, config, post_id, later=400).status == "paused"
    assert len(receiver.received("/hook")) == 1  # nothing more is burnt while paused
    with runtime.factory.begin() as session:
        channel_state = channels.states(session)["hook"]
        assert channel_state.paused and channel_state.needs_credentials
        channels.resume(session, "hook", utcnow())
    assert deliver(runtime, config, post_id, later=400).status == "sent"


def test_an_emergency_pause_stops_every_channel(
    runtime: Runtime, config: SyndicateConfig, post_id: int, receiver: Receiver
) -> None:
    from syndicate import channels

    with runtime.factory.begin() as session:
        channels.pause(session, "*", "breaking news: hold everything", utcnow())
    assert deliver(runtime, config, post_id).status == "paused"
    assert receiver.received("/hook") == []
    with runtime.factory.begin() as session:
        assert channels.paused_because(session, "hook") == (
            "all channels are paused: breaking news: hold everything"
        )
        channels.resume(session, "*", utcnow())
    assert deliver(runtime, config, post_id).status == "sent"


def test_pacing_keeps_a_minimum_gap_between_a_channel_s_posts(
    runtime: Runtime, config: SyndicateConfig, post_id: int, receiver: Receiver
) -> None:
    assert deliver(runtime, config, post_id).status == "sent"
    config.channels[0].min_gap_seconds = 600
    second = articles.receive(runtime.factory, parse_generic(envelope(article("b"))), utcnow())
    assert second.changed
    with runtime.factory.begin() as session:
        (next_post,) = posts.compose_posts(session, "b", config, runtime.templates, utcnow()).due
    outcome = deliver(runtime, config, next_post)
    assert outcome.status == "paced" and 590 < (outcome.retry_in or 0) <= 600
    assert deliver(runtime, config, next_post, later=601).status == "sent"


def test_it_gives_up_after_the_last_attempt(
    runtime: Runtime, config: SyndicateConfig, post_id: int, receiver: Receiver
) -> None:
    receiver.fail_next(*[Fault(status=503)] * POLICY.max_attempts)
    outcomes = [deliver(runtime, config, post_id, later=i * 400).status for i in range(3)]
    assert outcomes == ["retry", "retry", PostStatus.FAILED]
    assert len(receiver.received("/hook")) == POLICY.max_attempts


def test_it_gives_up_when_the_next_try_would_come_after_the_deadline(
    runtime: Runtime, config: SyndicateConfig, post_id: int, receiver: Receiver
) -> None:
    policy = DeliveryPolicy(max_attempts=10, lease_seconds=60, deadline_seconds=600)
    start = utcnow()
    receiver.fail_next(
        Fault(status=429, headers={"Retry-After": "120"}),
        Fault(status=429, headers={"Retry-After": "500"}),
    )
    first = delivery.deliver(runtime.factory, post_id, config, policy, start)
    assert first.status == "retry" and first.retry_in == 120
    later = start + timedelta(seconds=130)
    second = delivery.deliver(runtime.factory, post_id, config, policy, later)
    assert second.status == PostStatus.FAILED  # 130 s + 500 s is past 10 minutes
    post, attempts = state(runtime, post_id)
    assert post.status == PostStatus.FAILED
    assert post.problem.startswith("gave up: the next try would come more than 10 min")
    assert "HTTP 429" in post.problem
    assert [a.outcome for a in attempts] == ["retry", "failed"]


@pytest.mark.parametrize("fault", [Fault(hang_seconds=2), Fault(drop=True)])
def test_an_answer_that_never_comes_is_unknown_not_retried(
    runtime: Runtime, config: SyndicateConfig, post_id: int, receiver: Receiver, fault: Fault
) -> None:
    receiver.fail_next(fault)
    assert deliver(runtime, config, post_id).status == PostStatus.UNKNOWN
    assert deliver(runtime, config, post_id, later=400).status == "skipped"
    post, attempts = state(runtime, post_id)
    assert post.status == PostStatus.UNKNOWN and "may have been received" in post.problem
    assert attempts[0].outcome == "unknown"
    assert len(receiver.received("/hook")) == 1


def test_a_refused_connection_is_retried_because_nothing_was_sent(
    runtime: Runtime, config: SyndicateConfig, post_id: int
) -> None:
    config.channels[0].url = f"http://127.0.0.1:{free_port()}/nobody-listens"
    outcome = deliver(runtime, config, post_id)
    assert outcome.status == "retry"
    post, _ = state(runtime, post_id)
    assert post.status == PostStatus.APPROVED and "could not connect" in post.problem


def test_a_post_left_sending_by_a_dead_worker_becomes_unknown(
    runtime: Runtime, config: SyndicateConfig, post_id: int
) -> None:
    with runtime.factory.begin() as session:
        assert delivery._claim(session, post_id, utcnow() - timedelta(minutes=5)) is not None
    with runtime.factory.begin() as session:
        assert delivery.reconcile_stuck(session, utcnow(), lease_seconds=60) == [post_id]
    post, attempts = state(runtime, post_id)
    assert post.status == PostStatus.UNKNOWN
    assert [a.outcome for a in attempts] == ["unknown"]
