"""After a post is out: edit it when its article changes, delete it when the article is
unpublished, where the platform allows and the channel asks for it. Every call is recorded
as an attempt, like a send."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.http import make_session
from syndicate.models import Delivery, DeliveryOutcome, Post, PostStatus
from syndicate.platforms.base import DeliveryError, Draft, Platform, Receipt
from syndicate.posts import adapter
from syndicate.tokens import TokenVault


@dataclass(frozen=True)
class SentPost:
    receipt: Receipt
    draft: Draft
    platform: Platform


def _sent_post(
    factory: sessionmaker[Session],
    post_id: int,
    config: SyndicateConfig,
    wanted: Callable[[ChannelConfig], bool],
    http: Callable[[], requests.Session],
) -> SentPost | None:
    """The post as it went out, if it is out and its channel wants this done."""
    with factory() as session:
        post = session.get(Post, post_id)
        if post is None or post.status != PostStatus.SENT:
            return None
        channel = config.channel(post.channel)
        if channel is None or not wanted(channel):
            return None
        return SentPost(
            Receipt(200, post.remote_id, post.remote_url),
            Draft(post.text, post.link, dict(post.extras)),
            adapter(channel, http(), TokenVault(factory)),
        )


def _record(
    factory: sessionmaker[Session],
    post_id: int,
    outcome: str,
    started: float,
    error: DeliveryError | None,
    now: datetime,
    done: Callable[[Post], None],
    failing: str,
) -> str:
    with factory.begin() as session:
        post = session.get_one(Post, post_id)
        number = session.scalar(select(func.count()).where(Delivery.post_id == post_id)) or 0
        attempt = Delivery(
            post_id=post_id,
            attempt=number + 1,
            outcome=outcome,
            started_at=now,
            finished_at=now,
            latency_ms=int((time.monotonic() - started) * 1000),
        )
        session.add(attempt)
        if error is None:
            done(post)
            return outcome
        attempt.outcome, attempt.error = DeliveryOutcome.FAILED, error.message
        attempt.status_code = error.status_code
        post.problem = f"{failing}: {error.message}"
        return "failed" if error.permanent else "retry"


def retract(
    factory: sessionmaker[Session],
    post_id: int,
    config: SyndicateConfig,
    now: datetime,
    http: Callable[[], requests.Session] = make_session,
) -> str:
    """Delete a sent post from its platform (a post already gone counts as deleted)."""
    sent = _sent_post(factory, post_id, config, lambda c: c.delete_on_unpublish, http)
    if sent is None or not sent.platform.can_delete:
        return "skipped"
    started, error = time.monotonic(), None
    try:
        sent.platform.delete(sent.receipt)
    except DeliveryError as failed:
        error = None if failed.status_code == 404 else failed

    def done(post: Post) -> None:
        post.status = PostStatus.DELETED
        post.problem = "deleted from the platform: the article was unpublished"

    return _record(
        factory,
        post_id,
        DeliveryOutcome.DELETED,
        started,
        error,
        now,
        done,
        "could not delete it from the platform",
    )


def edit(
    factory: sessionmaker[Session],
    post_id: int,
    config: SyndicateConfig,
    now: datetime,
    http: Callable[[], requests.Session] = make_session,
) -> str:
    """Carry a sent post's new text to the platform."""
    sent = _sent_post(factory, post_id, config, lambda c: c.edit_on_update, http)
    if sent is None or not sent.platform.can_edit:
        return "skipped"
    started, error = time.monotonic(), None
    try:
        sent.platform.edit(sent.receipt, sent.draft)
    except DeliveryError as failed:
        error = failed

    def done(post: Post) -> None:
        post.problem = ""

    return _record(
        factory,
        post_id,
        DeliveryOutcome.EDITED,
        started,
        error,
        now,
        done,
        "the edit did not reach the platform",
    )
