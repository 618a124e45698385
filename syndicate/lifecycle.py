"""After a post is out: edit it when its article changes, delete it when the article is
unpublished, where the platform allows and the channel asks for it. Every call is recorded
as an attempt, like a send."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from syndicate.config import SyndicateConfig
from syndicate.http import make_session
from syndicate.models import Delivery, DeliveryOutcome, Post, PostStatus
from syndicate.platforms.base import DeliveryError, Draft, Receipt
from syndicate.posts import adapter


def _attempt(session: Session, post: Post, outcome: str, now: datetime) -> Delivery:
    number = session.scalar(select(func.count()).where(Delivery.post_id == post.id)) or 0
    attempt = Delivery(post_id=post.id, attempt=number + 1, outcome=outcome, started_at=now)
    session.add(attempt)
    return attempt


def retract(
    factory: sessionmaker[Session],
    post_id: int,
    config: SyndicateConfig,
    now: datetime,
    http: Callable[[], requests.Session] = make_session,
) -> str:
    """Delete a sent post from its platform (a post already gone counts as deleted)."""
    with factory() as session:
        post = session.get(Post, post_id)
        if post is None or post.status != PostStatus.SENT:
            return "skipped"
        channel = config.channel(post.channel)
        receipt = Receipt(200, post.remote_id, post.remote_url)
    if channel is None or not channel.delete_on_unpublish:
        return "skipped"
    platform = adapter(channel, http())
    if not platform.can_delete:
        return "skipped"
    started = time.monotonic()
    error: DeliveryError | None = None
    try:
        platform.delete(receipt)
    except DeliveryError as failed:
        if failed.status_code != 404:  # a post already gone is what we wanted
            error = failed
    with factory.begin() as session:
        post = session.get_one(Post, post_id)
        attempt = _attempt(session, post, DeliveryOutcome.DELETED, now)
        attempt.latency_ms = int((time.monotonic() - started) * 1000)
        attempt.finished_at = now
        if error is not None:
            attempt.outcome, attempt.error = DeliveryOutcome.FAILED, error.message
            attempt.status_code = error.status_code
            post.problem = f"could not delete it from the platform: {error.message}"
            return "retry" if not error.permanent else "failed"
        post.status = PostStatus.DELETED
        post.problem = "deleted from the platform: the article was unpublished"
    return "deleted"


def edit(
    factory: sessionmaker[Session],
    post_id: int,
    config: SyndicateConfig,
    now: datetime,
    http: Callable[[], requests.Session] = make_session,
) -> str:
    """Carry a sent post's new text to the platform."""
    with factory() as session:
        post = session.get(Post, post_id)
        if post is None or post.status != PostStatus.SENT:
            return "skipped"
        channel = config.channel(post.channel)
        receipt = Receipt(200, post.remote_id, post.remote_url)
        draft = Draft(post.text, post.link, dict(post.extras))
    if channel is None or not channel.edit_on_update:
        return "skipped"
    platform = adapter(channel, http())
    if not platform.can_edit:
        return "skipped"
    started = time.monotonic()
    try:
        platform.edit(receipt, draft)
        error = None
    except DeliveryError as failed:
        error = failed
    with factory.begin() as session:
        post = session.get_one(Post, post_id)
        attempt = _attempt(session, post, DeliveryOutcome.EDITED, now)
        attempt.latency_ms = int((time.monotonic() - started) * 1000)
        attempt.finished_at = now
        if error is not None:
            attempt.outcome, attempt.error = DeliveryOutcome.FAILED, error.message
            attempt.status_code = error.status_code
            post.problem = f"the edit did not reach the platform: {error.message}"
            return "retry" if not error.permanent else "failed"
        post.problem = ""
    return "edited"
