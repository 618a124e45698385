"""Notifications are found from the database, written once per target and key, sent once
(to a real SMTP server and loopback receivers), retried, and settled when a worker dies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from syndicate import articles, notifications, posts, signatures
from syndicate.cms import parse_generic
from syndicate.config import ChannelConfig, NotificationConfig, SiteConfig, SyndicateConfig
from syndicate.models import (
    ChannelState,
    ChannelToken,
    Notification,
    NotificationStatus,
    Post,
    PostStatus,
    utcnow,
)
from syndicate.runtime import Runtime
from tests.client import article, envelope
from tests.conftest import HOOK_SECRET
from tests.fakes.receiver import Fault, Receiver
from tests.fakes.smtp import SmtpServer

SITE = {"title": "Test Newsroom", "review_url": "http://127.0.0.1:9/review"}


@pytest.fixture
def desk(receiver: Receiver, clean: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TEST_SLACK_URL", f"{receiver.url}/slack")
    yield


def config(receiver: Receiver, *targets: dict[str, Any]) -> SyndicateConfig:
    channel = ChannelConfig(name="wire", platform="webhook", url=f"{receiver.url}/wire")
    return SyndicateConfig(
        site=SiteConfig(title="Test"),
        channels=[channel],
        notifications=[NotificationConfig.model_validate(t) for t in targets],
    )


def mail(**fields: Any) -> dict[str, Any]:
    return {
        "name": "desk-mail",
        "kind": "email",
        "to": ["desk@news.example"],
        "from": "syndicate@news.example",
        **fields,
    }


def story(runtime: Runtime, cfg: SyndicateConfig, article_id: str, **fields: Any) -> Post:
    data = article(article_id, title=f"Story {article_id}", **fields)
    articles.receive(runtime.factory, parse_generic(envelope(data)), utcnow())
    with runtime.factory.begin() as session:
        posts.compose_posts(session, article_id, cfg, runtime.templates, utcnow())
        return session.scalars(select(Post).where(Post.article_id == article_id)).one()


def set_status(runtime: Runtime, post_id: int, status: str, problem: str = "") -> None:
    with runtime.factory.begin() as session:
        post = session.get_one(Post, post_id)
        post.status, post.problem, post.updated_at = status, problem, utcnow()


def record(runtime: Runtime, cfg: SyndicateConfig, at: Any = None) -> list[int]:
    with runtime.factory.begin() as session:
        return notifications.record(session, cfg, runtime.templates, SITE, at or utcnow())


def rows(runtime: Runtime) -> list[Notification]:
    with runtime.factory() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def send(runtime: Runtime, cfg: SyndicateConfig, ids: list[int], smtp: SmtpServer) -> list[str]:
    return [notifications.attempt(runtime.factory, i, cfg, smtp.url).status for i in ids]


def test_a_failed_post_is_emailed_once_however_often_it_is_looked_for(
    runtime: Runtime, receiver: Receiver, smtp: SmtpServer, desk: None
) -> None:
    cfg = config(receiver, mail(events=["post.failed"]))
    post = story(runtime, cfg, "f1")
    set_status(runtime, post.id, PostStatus.FAILED, "HTTP 400: the webhook refused the body")
    ids = record(runtime, cfg)
    assert record(runtime, cfg) == []
    assert send(runtime, cfg, ids, smtp) == ["sent"]
    assert send(runtime, cfg, ids, smtp) == ["sent"]  # settled: not sent again

    (message,) = smtp.messages()
    assert message["Subject"] == "A post to wire failed: Story f1"
    assert message["To"] == "desk@news.example"
    assert message["From"] == "syndicate@news.example"
    body = message.get_content()
    assert "HTTP 400: the webhook refused the body" in body
    assert f"{SITE['review_url']}/posts/{post.id}" in body
    (row,) = rows(runtime)
    assert (row.status, row.attempts, row.event) == ("sent", 1, "post.failed")

    # Failing again after a retry by hand is news again.
    set_status(runtime, post.id, PostStatus.APPROVED)
    set_status(runtime, post.id, PostStatus.FAILED, "HTTP 400 again")
    assert len(record(runtime, cfg)) == 1


def test_posts_to_review_are_batched_one_message_per_window(
    runtime: Runtime, receiver: Receiver, smtp: SmtpServer, desk: None
) -> None:
    cfg = config(receiver, mail(events=["post.pending"], batch_minutes=10))
    first = story(runtime, cfg, "p1")
    assert first.status == PostStatus.PENDING_REVIEW
    story(runtime, cfg, "p2")
    now = utcnow()
    (batch,) = record(runtime, cfg, now)
    assert send(runtime, cfg, [batch], smtp) == ["sent"]
    (message,) = smtp.messages()
    assert message["Subject"] == "2 new posts to review on Test Newsroom"
    assert "- wire: Story p1" in message.get_content()
    assert "- wire: Story p2" in message.get_content()

    story(runtime, cfg, "p3")
    assert record(runtime, cfg, utcnow()) == []  # inside the window: it waits
    window_later = now + timedelta(minutes=10, seconds=1)
    (later,) = record(runtime, cfg, window_later)
    sent = notifications.attempt(runtime.factory, later, cfg, smtp.url, now=window_later)
    assert sent.status == "sent"
    message = smtp.messages()[-1]
    assert message["Subject"] == "1 new post to review on Test Newsroom"
    assert "Story p3" in message.get_content() and "Story p1" not in message.get_content()


def test_a_webhook_target_gets_a_signed_body_under_one_idempotency_key(
    runtime: Runtime, receiver: Receiver, smtp: SmtpServer, desk: None
) -> None:
    cfg = config(
        receiver,
        {
            "name": "desk-hook",
            "kind": "webhook",
            "url": f"{receiver.url}/desk",
            "secret_env": "TEST_NEWSROOM_HOOK_SECRET",
            "events": ["channel.paused"],
        },
    )
    with runtime.factory.begin() as session:
        session.add(ChannelState(name="wire", paused=True, reason="too many errors"))
    (row_id,) = record(runtime, cfg)
    receiver.fail_next(Fault(status=503, headers={"Retry-After": "7"}))
    first = notifications.attempt(runtime.factory, row_id, cfg, smtp.url)
    assert (first.status, first.retry_in) == ("pending", 7.0)
    # Not due yet: a second worker with the same message does nothing.
    assert send(runtime, cfg, [row_id], smtp) == ["pending"]
    with runtime.factory.begin() as session:
        session.get_one(Notification, row_id).next_attempt_at = utcnow()
    assert send(runtime, cfg, [row_id], smtp) == ["sent"]

    tries = receiver.received("/desk")
    assert len(tries) == 2
    assert tries[0].headers["idempotency-key"] == tries[1].headers["idempotency-key"]
    signatures.verify(
        tries[1].headers["syndicate-signature"], tries[1].body, [HOOK_SECRET.encode()]
    )
    body = json.loads(tries[1].body)
    assert body["event"] == "channel.paused"
    assert body["subject"] == "Paused: wire"
    assert body["data"]["reason"] == "too many errors"


def test_slack_gets_the_subject_and_text(
    runtime: Runtime, receiver: Receiver, smtp: SmtpServer, desk: None
) -> None:
    slack = {"name": "desk-slack", "kind": "slack", "url_env": "TEST_SLACK_URL"}
    cfg = config(receiver, {**slack, "events": ["post.unknown"]})
    post = story(runtime, cfg, "u1")
    set_status(runtime, post.id, PostStatus.UNKNOWN, "delivery was interrupted <!channel>")
    assert send(runtime, cfg, record(runtime, cfg), smtp) == ["sent"]
    (sent,) = receiver.received("/slack")
    assert sent.json()["text"].startswith("*Check wire: did “Story u1” go out?*\n")
    assert "&lt;!channel&gt;" in sent.json()["text"] and "<!channel>" not in sent.json()["text"]


def test_a_refusal_fails_at_once_and_a_missing_smtp_url_is_said(
    runtime: Runtime, receiver: Receiver, smtp: SmtpServer, desk: None
) -> None:
    slack = {"name": "desk-slack", "kind": "slack", "url_env": "TEST_SLACK_URL"}
    cfg = config(receiver, {**slack, "events": ["post.failed"]}, mail(events=["post.failed"]))
    post = story(runtime, cfg, "r1")
    set_status(runtime, post.id, PostStatus.FAILED, "gone")
    to_slack, to_mail = record(runtime, cfg)
    receiver.fail_next(Fault(status=404, body=b"no_service"))
    assert send(runtime, cfg, [to_slack], smtp) == ["failed"]
    assert notifications.attempt(runtime.factory, to_mail, cfg, "").status == "failed"
    slack_row, mail_row = rows(runtime)
    assert slack_row.error == "desk-slack: HTTP 404: no_service"
    assert mail_row.error == "desk-mail: SYNDICATE_SMTP_URL is not set"


def test_a_row_left_sending_by_a_dead_worker_is_sent_again_only_where_a_repeat_is_known(
    runtime: Runtime, receiver: Receiver, smtp: SmtpServer, desk: None
) -> None:
    hook = {"name": "desk-hook", "kind": "webhook", "url": f"{receiver.url}/desk"}
    cfg = config(receiver, {**hook, "events": ["post.failed"]}, mail(events=["post.failed"]))
    post = story(runtime, cfg, "d1")
    set_status(runtime, post.id, PostStatus.FAILED, "gone")
    record(runtime, cfg)
    long_ago = utcnow() - timedelta(hours=1)
    with runtime.factory.begin() as session:
        for row in session.scalars(select(Notification)):
            row.status, row.updated_at = NotificationStatus.SENDING, long_ago
    with runtime.factory.begin() as session:
        again = notifications.reconcile_stuck(session, cfg, utcnow(), lease_seconds=300)
    statuses = {r.target: r.status for r in rows(runtime)}
    assert statuses == {"desk-hook": "pending", "desk-mail": "unknown"}
    assert len(again) == 1
    assert send(runtime, cfg, again, smtp) == ["sent"]
    assert smtp.messages() == []


def test_expiring_credentials_and_a_delivery_backlog_are_reported(
    runtime: Runtime, receiver: Receiver, smtp: SmtpServer, desk: None
) -> None:
    events = ["channel.credentials_expiring", "delivery.backlog"]
    cfg = config(receiver, mail(events=events, backlog_minutes=30))
    post = story(runtime, cfg, "b1")
    now = utcnow()
    with runtime.factory.begin() as session:
        waiting = session.get_one(Post, post.id)
        waiting.status, waiting.updated_at = PostStatus.APPROVED, now - timedelta(minutes=45)
        session.add(
            ChannelToken(channel="wire", access_token="x", expires_at=now + timedelta(days=3))
        )
        session.add(
            ChannelToken(channel="later", access_token="x", expires_at=now + timedelta(days=30))
        )
    ids = record(runtime, cfg, now)
    assert send(runtime, cfg, ids, smtp) == ["sent", "sent"]
    subjects = sorted(m["Subject"] for m in smtp.messages())
    assert subjects[0] == "1 approved post waiting more than 30 minutes on Test Newsroom"
    assert subjects[1].startswith("The credentials of wire expire on ")
    assert record(runtime, cfg, now + timedelta(minutes=5)) == []  # once per threshold


def test_malformed_targets_are_refused_naming_the_key() -> None:
    with pytest.raises(ValueError, match=r"unknown event 'post\.lost'"):
        NotificationConfig.model_validate(mail(events=["post.lost"]))
    with pytest.raises(ValueError, match="email notifications need to"):
        NotificationConfig.model_validate(mail(to=[], events=["post.failed"]))
    with pytest.raises(ValueError, match="unknown notification kind"):
        NotificationConfig.model_validate(mail(kind="pager", events=["post.failed"]))
