"""Send one due post exactly once: claim, record the attempt, call the platform, record."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from syndicate import channelrules, channels, routing, syndication
from syndicate.adapters import adapter
from syndicate.config import SyndicateConfig
from syndicate.http import make_session
from syndicate.models import (
    Card,
    ChangeKind,
    Delivery,
    DeliveryOutcome,
    Post,
    PostChange,
    PostStatus,
    utcnow,
)
from syndicate.platforms import get_platform
from syndicate.platforms.activitypub import Outbox
from syndicate.platforms.base import DeliveryError, Draft, Platform, Receipt, nothing_posted
from syndicate.tokens import TokenVault


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    lease_seconds: int = 300
    backoff_base_seconds: float = 2.0
    backoff_cap_seconds: float = 300.0
    look_delay_seconds: float = 20.0
    # Retries stop once the next one would come later than this after the first attempt.
    deadline_seconds: float = 6 * 3600.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter."""
        ceiling = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2**attempt)
        return random.uniform(0, ceiling)


@dataclass(frozen=True)
class Outcome:
    """What happened to one delivery call: `retry_in` is set when it should be tried again."""

    status: str
    retry_in: float | None = None
    # Changes of the post the outcome decided (its first reply), to be made next.
    changes: tuple[int, ...] = ()


def idempotency_key(post: Post) -> str:
    """The same for every attempt at one post, and never the same for two posts (even if a
    database is restored or a second installation posts to the same account)."""
    return f"syndicate-post-{post.id}-{int(post.created_at.timestamp() * 1_000_000)}"


def _due(now: datetime) -> list[object]:
    return [
        Post.status == PostStatus.APPROVED,
        or_(Post.scheduled_at.is_(None), Post.scheduled_at <= now),
        or_(Post.next_attempt_at.is_(None), Post.next_attempt_at <= now),
    ]


def _claim(session: Session, post_id: int, now: datetime) -> Delivery | None:
    claimed = session.execute(
        update(Post)
        .where(Post.id == post_id, *_due(now))  # type: ignore[arg-type]
        .values(status=PostStatus.SENDING, updated_at=now)
    )
    if not getattr(claimed, "rowcount", 0):
        return None
    attempts = session.scalar(select(func.count()).where(Delivery.post_id == post_id)) or 0
    delivery = Delivery(post_id=post_id, attempt=attempts + 1, started_at=now)
    session.add(delivery)
    session.flush()
    return delivery


def _hold(session: Session, post_id: int, config: SyndicateConfig, now: datetime) -> Outcome | None:
    """A reason not to send now: the article is embargoed, the channel is paused, or its pacing
    says wait."""
    post = session.get(Post, post_id)
    if post is None:
        return Outcome("skipped")
    embargo = syndication.embargo_wait(post.article, now)
    if embargo > 0 and post.status == PostStatus.APPROVED:
        post.next_attempt_at = post.article.not_before  # what a moved embargo looks for
        return Outcome("embargoed", retry_in=embargo)
    paused = channels.paused_because(session, post.channel)
    if paused:
        return Outcome("paused")
    channel = config.channel(post.channel)
    wait = 0.0
    if channel is not None:
        wait = max(
            channels.pacing_wait(session, channel, now),
            routing.send_wait(session, channel.name, channelrules.rules_of(session, channel), now),
        )
    if wait > 0:
        post.next_attempt_at = now + timedelta(seconds=wait)
        return Outcome("paced", retry_in=wait)
    return None


def deliver(
    factory: sessionmaker[Session],
    post_id: int,
    config: SyndicateConfig,
    policy: DeliveryPolicy,
    now: datetime,
    http: Callable[[], requests.Session] = make_session,
    outbox: Outbox | None = None,
) -> Outcome:
    """Deliver the post if it is approved and due; safe to call twice, concurrently or not."""
    with factory.begin() as session:
        held = _hold(session, post_id, config, now)
        if held is not None:
            return held
        delivery = _claim(session, post_id, now)
        if delivery is None:
            return Outcome("skipped")
        post = session.get_one(Post, post_id)
        card = session.get(Card, post.article_id)
        thumbnail = (card.image, card.image_type) if card and card.image else None
        draft = Draft(post.text, post.link, dict(post.extras), thumbnail)
        key = idempotency_key(post)
        channel = config.channel(post.channel)
        delivery_id, attempt, look = delivery.id, delivery.attempt, post.look_before_sending
    started = time.monotonic()
    looks = False
    try:
        if channel is None or not channel.enabled:
            raise DeliveryError(f"channel {post.channel!r} is not configured", permanent=True)
        platform = adapter(channel, http(), TokenVault(factory), outbox)
        looks = platform.finds_own_posts
        receipt = _look_for(platform, draft) if look and looks else None
        if receipt is None:
            receipt = platform.send(draft, key)
    except DeliveryError as error:
        latency = int((time.monotonic() - started) * 1000)
        return _record_failure(
            factory, post_id, delivery_id, attempt, error, latency, policy, looks
        )
    latency = int((time.monotonic() - started) * 1000)
    changes = _record_success(factory, post_id, delivery_id, receipt, latency)
    return Outcome("sent", changes=changes)


def _look_for(platform: Platform, draft: Draft) -> Receipt | None:
    """Find the post an unanswered attempt may have made. Looking posts nothing, so a failure
    here is never ambiguous: the post is looked for again on the next attempt."""
    try:
        with nothing_posted():
            return platform.find_sent(draft)
    except DeliveryError as error:
        error.message = f"could not look for the post on the account: {error.message}"
        raise


def _record_success(
    factory: sessionmaker[Session], post_id: int, delivery_id: int, receipt: Receipt, latency: int
) -> tuple[int, ...]:
    """Settle the send; the id of the change to make next (the thread's first reply, or the
    channel's first reply), if it calls for any."""
    with factory.begin() as session:
        post = session.get_one(Post, post_id)
        delivery = session.get_one(Delivery, delivery_id)
        delivery.outcome = DeliveryOutcome.SENT
        delivery.status_code = receipt.status_code
        delivery.remote_id, delivery.remote_url = receipt.remote_id, receipt.url
        delivery.latency_ms = latency
        delivery.finished_at = utcnow()
        post.status = PostStatus.SENT
        post.remote_id, post.remote_url = receipt.remote_id, receipt.url
        post.problem = ""
        post.next_attempt_at = None
        post.look_before_sending = False
        extras = post.extras or {}
        texts = [*(extras.get("thread") or []), *filter(None, [extras.get("first_reply")])]
        if not texts:
            return ()
        # Decided with the success, so a lost message cannot lose them; made one after another.
        replies = [
            PostChange(post_id=post.id, kind=ChangeKind.REPLY, attempts=0, text=text, position=n)
            for n, text in enumerate(texts, start=1)
        ]
        session.add_all(replies)
        session.flush()
        return (replies[0].id,)


def _record_failure(
    factory: sessionmaker[Session],
    post_id: int,
    delivery_id: int,
    attempt: int,
    error: DeliveryError,
    latency: int,
    policy: DeliveryPolicy,
    looks: bool = False,
) -> Outcome:
    """`looks`: the platform can list the account's posts, so an ambiguous attempt is followed
    by a look for the post rather than left `unknown`."""
    finished = utcnow()
    with factory.begin() as session:
        post = session.get_one(Post, post_id)
        delivery = session.get_one(Delivery, delivery_id)
        delivery.status_code = error.status_code
        delivery.error = error.message
        delivery.latency_ms = latency
        delivery.finished_at = finished
        post.problem = error.message
        spent = attempt - post.attempt_base >= policy.max_attempts
        if error.ambiguous and looks and not spent:
            delivery.outcome = DeliveryOutcome.UNKNOWN
            wait = max(policy.look_delay_seconds, error.retry_after or 0.0)
            post.status = PostStatus.APPROVED
            post.look_before_sending = True
            post.next_attempt_at = finished + timedelta(seconds=wait)
            post.problem = f"{error.message}; looking for it on the account before sending again"
            return Outcome("retry", retry_in=wait)
        if error.ambiguous:
            delivery.outcome = post.status = DeliveryOutcome.UNKNOWN
            return Outcome(PostStatus.UNKNOWN)
        if error.credentials:
            # Pause the channel rather than burn through its queue; this post waits with it.
            reason = f"the platform refused the credentials: {error.message}"
            channels.pause(session, post.channel, reason, finished, needs_credentials=True)
            delivery.outcome = DeliveryOutcome.FAILED
            post.status = PostStatus.APPROVED
            post.problem = f"waiting: {reason}"
            return Outcome("paused")
        if error.permanent or spent:
            delivery.outcome = DeliveryOutcome.FAILED
            post.status = PostStatus.FAILED
            return Outcome(PostStatus.FAILED)
        wait = error.retry_after if error.retry_after is not None else policy.backoff(attempt)
        first = _first_attempt_at(session, post) or delivery.started_at
        next_try = delivery.started_at + timedelta(seconds=wait)
        if next_try > first + timedelta(seconds=policy.deadline_seconds):
            delivery.outcome = DeliveryOutcome.FAILED
            post.status = PostStatus.FAILED
            post.problem = (
                f"gave up: the next try would come more than {_duration(policy.deadline_seconds)} "
                f"after the first; last error: {error.message}"
            )
            return Outcome(PostStatus.FAILED)
        delivery.outcome = DeliveryOutcome.RETRY
        post.status = PostStatus.APPROVED
        post.next_attempt_at = finished + timedelta(seconds=wait)
        return Outcome("retry", retry_in=wait)


def _first_attempt_at(session: Session, post: Post) -> datetime | None:
    """When the attempts in the post's current retry budget began (a retry by hand restarts it)."""
    return session.scalar(
        select(func.min(Delivery.started_at)).where(
            Delivery.post_id == post.id, Delivery.attempt > post.attempt_base
        )
    )


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


def due_posts(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Approved posts whose time has come: what a lost broker message would have sent."""
    return list(
        session.scalars(
            select(Post.id).where(*_due(now)).order_by(Post.id).limit(limit)  # type: ignore[arg-type]
        )
    )


def reconcile_stuck(
    session: Session, now: datetime, lease_seconds: int, config: SyndicateConfig | None = None
) -> list[int]:
    """Settle posts left `sending` past their lease (a worker died mid-call).

    Where the platform cannot post twice under one key (Mastodon, Bluesky), the post simply
    goes back to be sent again. Where it can list the account's posts (X, LinkedIn, Facebook,
    Threads), the next attempt looks there first. Elsewhere nobody knows whether the platform
    got it, so it becomes `unknown` and waits for a person rather than risk a second post.
    """
    cutoff = now - timedelta(seconds=lease_seconds)
    stuck = list(
        session.scalars(
            select(Post).where(Post.status == PostStatus.SENDING, Post.updated_at < cutoff)
        )
    )
    for post in stuck:
        channel = config.channel(post.channel) if config else None
        platform = get_platform(channel.platform) if channel else None
        retry = platform is not None and platform.idempotent_sends
        look = platform is not None and platform.finds_own_posts and not retry
        post.status = PostStatus.APPROVED if retry or look else PostStatus.UNKNOWN
        post.look_before_sending = look
        if retry:
            post.problem = "delivery was interrupted; sending again under the same idempotency key"
        elif look:
            post.problem = "delivery was interrupted; looking for it on the account first"
        else:
            post.problem = "delivery was interrupted; check the platform before retrying"
        session.execute(
            update(Delivery)
            .where(Delivery.post_id == post.id, Delivery.outcome == DeliveryOutcome.SENDING)
            .values(
                outcome=DeliveryOutcome.RETRY if retry else DeliveryOutcome.UNKNOWN, finished_at=now
            )
        )
    return [p.id for p in stuck]
