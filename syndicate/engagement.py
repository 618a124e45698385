"""What sent posts earned, read back from their platforms 1 h, 6 h, 24 h and 7 days after they
went out. A checkpoint that has come is a `pending` row before anything is asked, so a lost
message is found again and no checkpoint is read twice; a failing read is retried on the
platform's own wait, given up after a few tries, and never touches delivery."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from syndicate.adapters import adapter
from syndicate.config import SyndicateConfig
from syndicate.delivery import idempotency_key
from syndicate.http import make_session
from syndicate.models import (
    Delivery,
    DeliveryAction,
    DeliveryOutcome,
    Engagement,
    Post,
    PostStatus,
    utcnow,
)
from syndicate.platforms import get_platform
from syndicate.platforms.base import DeliveryError, Draft, Receipt, SentPost
from syndicate.tokens import TokenVault

CHECKPOINTS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
# A checkpoint missed by more than this (the service was down) is not read late.
LATE = timedelta(days=2)
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_in: float | None = None


def _sent_at(session: Session, since: datetime) -> list[tuple[int, str, datetime]]:
    """(post id, platform, sent at) of posts sent since `since` and still up."""
    rows = session.execute(
        select(Post.id, Post.platform, func.min(Delivery.finished_at))
        .join(Delivery, Delivery.post_id == Post.id)
        .where(
            Post.status == PostStatus.SENT,
            Delivery.action == DeliveryAction.SEND,
            Delivery.outcome == DeliveryOutcome.SENT,
            Delivery.finished_at >= since,
        )
        .group_by(Post.id, Post.platform)
    )
    return [(post_id, platform, at) for post_id, platform, at in rows if at is not None]


def record_due(session: Session, now: datetime, limit: int = 200) -> list[int]:
    """A pending row for every checkpoint that has come for a post whose platform can be read;
    their ids, with those of pending rows whose time has come again."""
    oldest = now - max(CHECKPOINTS.values()) - LATE
    sent = _sent_at(session, oldest)
    readable = {name for _, name, _ in sent if get_platform(name).reads_counts}
    taken = {
        (post_id, checkpoint)
        for post_id, checkpoint in session.execute(
            select(Engagement.post_id, Engagement.checkpoint).where(Engagement.created_at >= oldest)
        )
    }
    for post_id, platform, sent_at in sent:
        if platform not in readable:
            continue
        for checkpoint, after in CHECKPOINTS.items():
            due = sent_at + after
            if due <= now < due + LATE and (post_id, checkpoint) not in taken:
                session.add(
                    Engagement(
                        post_id=post_id, checkpoint=checkpoint, next_attempt_at=now, created_at=now
                    )
                )
                taken.add((post_id, checkpoint))
    session.flush()
    handed = list(
        session.scalars(
            select(Engagement)
            .where(Engagement.status == "pending", Engagement.next_attempt_at <= now)
            .order_by(Engagement.id)
            .limit(limit)
        )
    )
    for row in handed:  # the next sweeps leave it to its reader for a while
        row.next_attempt_at = now + LEASE
    return [row.id for row in handed]


def read(
    factory: sessionmaker[Session],
    engagement_id: int,
    config: SyndicateConfig,
    http: Callable[[], requests.Session] = make_session,
) -> Outcome:
    """Ask the platform for the post's counts once, and settle the row."""
    with factory() as session:
        row = session.get(Engagement, engagement_id)
        if row is None or row.status != "pending":
            return Outcome(row.status if row else "gone")
        post = session.get_one(Post, row.post_id)
        channel = config.channel(post.channel)
        sent = SentPost(
            Receipt(200, post.remote_id, post.remote_url),
            idempotency_key(post),
            "",
            Draft(post.text, post.link),
        )
    error: DeliveryError | None = None
    counts = None
    if channel is None:
        error = DeliveryError(f"channel {post.channel!r} is not configured", permanent=True)
    else:
        try:
            counts = adapter(channel, http(), TokenVault(factory)).counts(sent)
        except DeliveryError as exc:
            error = exc
    with factory.begin() as session:
        row = session.get_one(Engagement, engagement_id, with_for_update=True)
        row.attempts += 1
        if counts is not None:
            row.status, row.read_at, row.error = "read", utcnow(), ""
            row.likes, row.reposts = counts.likes, counts.reposts
            row.replies, row.quotes = counts.replies, counts.quotes
            return Outcome("read")
        assert error is not None
        row.error = error.message[:500]
        if error.permanent or row.attempts >= MAX_ATTEMPTS:
            row.status, row.next_attempt_at = "failed", None
            return Outcome("failed")
        wait = error.retry_after if error.retry_after is not None else random.uniform(30, 300)
        row.next_attempt_at = utcnow() + timedelta(seconds=wait)
        return Outcome("pending", retry_in=wait)


def of_post(session: Session, post_id: int) -> list[Engagement]:
    """The post's counts at each checkpoint read, in order."""
    order = list(CHECKPOINTS)
    rows = session.scalars(
        select(Engagement).where(Engagement.post_id == post_id, Engagement.status == "read")
    )
    return sorted(rows, key=lambda row: order.index(row.checkpoint))
