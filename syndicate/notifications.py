"""Telling the social desk what needs it: find what happened, write one ledger row per message
and target (unique by key, so nothing is reported twice), send it, and settle the row.

What is reported is found from the database alone, each beat: posts waiting for review
(batched), posts that failed or whose fate is unknown, paused channels, credentials about to
expire, and approved posts left waiting. A row is written before any send, claimed before the
call, and settled after; a row left `sending` by a dead worker is sent again only where the
receiver recognises a repeat (a webhook's Idempotency-Key), and otherwise marked `unknown`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from syndicate.config import NotificationConfig, SyndicateConfig
from syndicate.http import make_session
from syndicate.models import (
    ALL_CHANNELS,
    Article,
    ChannelState,
    ChannelToken,
    Notification,
    NotificationStatus,
    Post,
    PostStatus,
    utcnow,
)
from syndicate.notifiers import NOTIFIERS, Message, NotifyError
from syndicate.templating import Templates, text_environment

log = logging.getLogger(__name__)
# How far back a newly found failure, pause or unknown post is still news.
LOOKBACK = timedelta(hours=6)
CREDENTIALS_WARNING = timedelta(days=7)
LISTED = 50  # posts one message lists; the rest are counted
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 600.0


@dataclass(frozen=True)
class Found:
    """Something one target should hear about, under a key that names it for good."""

    event: str
    key: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    status: str  # NotificationStatus
    retry_in: float | None = None


def _post_item(post: Post, review_url: str) -> dict[str, Any]:
    return {
        "id": post.id,
        "channel": post.channel,
        "title": post.article.title,
        "problem": post.problem,
        "url": f"{review_url}/posts/{post.id}",
    }


def _pending(
    session: Session, target: NotificationConfig, now: datetime, review: str
) -> list[Found]:
    last = session.scalars(
        select(Notification)
        .where(Notification.target == target.name, Notification.event == "post.pending")
        .order_by(Notification.created_at.desc())
        .limit(1)
    ).first()
    window = timedelta(minutes=target.batch_minutes)
    if last is not None and last.created_at > now - window:
        return []
    since = datetime.fromisoformat(last.data["until"]) if last else now - window
    waiting = select(Post).where(
        Post.status == PostStatus.PENDING_REVIEW, Post.created_at > since, Post.created_at <= now
    )
    posts = list(session.scalars(waiting.order_by(Post.created_at, Post.id).limit(LISTED)))
    if not posts:
        return []
    total = session.scalar(select(func.count()).select_from(waiting.subquery())) or 0
    until = max(p.created_at for p in posts) if total <= LISTED else now
    context = {
        "posts": [_post_item(p, review) for p in posts],
        "total": total,
        "until": until.isoformat(),
        "queue_url": f"{review}/queue?status=pending_review",
    }
    return [Found("post.pending", f"post.pending:{until.isoformat()}", context)]


def _post_status(status: str, event: str) -> Callable[..., list[Found]]:
    def find(
        session: Session, target: NotificationConfig, now: datetime, review: str
    ) -> list[Found]:
        posts = session.scalars(
            select(Post)
            .where(Post.status == status, Post.updated_at >= now - LOOKBACK)
            .order_by(Post.id)
            .limit(200)
        )
        return [
            Found(
                event,
                f"{event}:{p.id}:{p.updated_at.isoformat()}",
                {"post": _post_item(p, review)},
            )
            for p in posts
        ]

    return find


def _paused(
    session: Session, target: NotificationConfig, now: datetime, review: str
) -> list[Found]:
    states = session.scalars(
        select(ChannelState).where(
            ChannelState.paused.is_(True), ChannelState.updated_at >= now - LOOKBACK
        )
    )
    return [
        Found(
            "channel.paused",
            f"channel.paused:{s.name}:{s.updated_at.isoformat()}",
            {
                "channel": "all channels" if s.name == ALL_CHANNELS else s.name,
                "reason": s.reason,
                "needs_credentials": s.needs_credentials,
                "url": f"{review}/channels",
            },
        )
        for s in states
    ]


def _expiring(
    session: Session, target: NotificationConfig, now: datetime, review: str
) -> list[Found]:
    """Tokens the platform said expire soon, which Syndicate cannot renew itself (it holds no
    refresh token for them)."""
    tokens = session.scalars(
        select(ChannelToken).where(
            ChannelToken.refresh_token == "",
            ChannelToken.expires_at > now,
            ChannelToken.expires_at <= now + CREDENTIALS_WARNING,
        )
    )
    return [
        Found(
            "channel.credentials_expiring",
            f"channel.credentials_expiring:{t.channel}:{t.expires_at.isoformat()}",
            {"channel": t.channel, "expires_at": t.expires_at, "url": f"{review}/channels"},
        )
        for t in tokens
        if t.expires_at is not None
    ]


def _backlog(
    session: Session, target: NotificationConfig, now: datetime, review: str
) -> list[Found]:
    threshold = timedelta(minutes=target.backlog_minutes)
    last = session.scalar(
        select(func.max(Notification.created_at)).where(
            Notification.target == target.name, Notification.event == "delivery.backlog"
        )
    )
    if last is not None and last > now - threshold:
        return []
    waiting = (
        select(Post)
        .join(Article, Article.id == Post.article_id)
        .where(
            Post.status == PostStatus.APPROVED,
            func.coalesce(Post.scheduled_at, Post.updated_at) < now - threshold,
            or_(Article.not_before.is_(None), Article.not_before <= now),  # embargoes wait
        )
    )
    posts = list(session.scalars(waiting.order_by(Post.id).limit(LISTED)))
    if not posts:
        return []
    total = session.scalar(select(func.count()).select_from(waiting.subquery())) or 0
    context = {
        "posts": [_post_item(p, review) for p in posts],
        "total": total,
        "minutes": target.backlog_minutes,
    }
    return [Found("delivery.backlog", f"delivery.backlog:{now.isoformat()}", context)]


DETECTORS: dict[str, Callable[..., list[Found]]] = {
    "post.pending": _pending,
    "post.failed": _post_status(PostStatus.FAILED, "post.failed"),
    "post.unknown": _post_status(PostStatus.UNKNOWN, "post.unknown"),
    "channel.paused": _paused,
    "channel.credentials_expiring": _expiring,
    "delivery.backlog": _backlog,
}


def _render(templates: Templates, found: Found, site: dict[str, str]) -> tuple[str, str]:
    """The message's subject (the template's first line) and text (the rest)."""
    template = text_environment(templates).get_template(f"notifications/{found.event}.txt.j2")
    rendered = template.render(site=site, **found.context).strip()
    subject, _, text = rendered.partition("\n")
    return subject.strip()[:300], text.strip()


def _jsonable(context: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in context.items()}


def record(
    session: Session,
    config: SyndicateConfig,
    templates: Templates,
    site: dict[str, str],
    now: datetime,
) -> list[int]:
    """Write a pending row for everything each target should hear about and has not; their
    ids. `site` gives `title` and `review_url` to the templates."""
    created: list[Notification] = []
    for target in config.notifications:
        found = [
            item
            for event in target.events
            for item in DETECTORS[event](session, target, now, site["review_url"])
        ]
        if not found:
            continue
        known = set(
            session.scalars(
                select(Notification.key).where(
                    Notification.target == target.name,
                    Notification.key.in_([f.key for f in found]),
                )
            )
        )
        for item in found:
            if item.key in known:
                continue
            known.add(item.key)
            subject, text = _render(templates, item, site)
            row = Notification(
                target=target.name,
                event=item.event,
                key=item.key,
                subject=subject,
                text=text,
                data=_jsonable(item.context),
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            created.append(row)
    session.flush()
    return [row.id for row in created]


def _claimable(notification_id: int, now: datetime) -> list[Any]:
    return [
        Notification.id == notification_id,
        Notification.status == NotificationStatus.PENDING,
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
    ]


def attempt(
    factory: sessionmaker[Session],
    notification_id: int,
    config: SyndicateConfig,
    smtp_url: str,
    http: Callable[[], requests.Session] = make_session,
    now: datetime | None = None,
) -> Outcome:
    """Send the notification once if it is pending and due, and settle its row."""
    now = now or utcnow()
    with factory.begin() as session:
        claimed = session.execute(
            update(Notification)
            .where(*_claimable(notification_id, now))
            .values(status=NotificationStatus.SENDING, updated_at=now)
        )
        row = session.get(Notification, notification_id)
        if row is None:
            return Outcome(NotificationStatus.SENT)
        if not getattr(claimed, "rowcount", 0):
            return Outcome(row.status)
        message = Message(row.key, row.event, row.subject, row.text, dict(row.data))
        name = row.target
    target = config.notification(name)
    error: NotifyError | None = None
    if target is None:
        error = NotifyError(f"no notification {name!r} in the site file any more", permanent=True)
    else:
        try:
            NOTIFIERS[target.kind](target, http(), smtp_url).send(message)
        except NotifyError as exc:
            error = exc
    with factory.begin() as session:
        row = session.get_one(Notification, notification_id, with_for_update=True)
        return _settle(row, error, utcnow())


def _settle(row: Notification, error: NotifyError | None, now: datetime) -> Outcome:
    row.attempts += 1
    row.updated_at = now
    if error is None:
        row.status, row.sent_at, row.next_attempt_at, row.error = (
            NotificationStatus.SENT,
            now,
            None,
            "",
        )
        return Outcome(NotificationStatus.SENT)
    row.error = error.message[:500]
    log.warning("notification %s to %s failed: %s", row.id, row.target, error.message)
    if error.permanent or row.attempts >= MAX_ATTEMPTS:
        row.status, row.next_attempt_at = NotificationStatus.FAILED, None
        return Outcome(NotificationStatus.FAILED)
    wait = error.retry_after
    if wait is None:
        wait = random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**row.attempts))
    row.status, row.next_attempt_at = NotificationStatus.PENDING, now + timedelta(seconds=wait)
    return Outcome(NotificationStatus.PENDING, retry_in=wait)


def reconcile_stuck(
    session: Session, config: SyndicateConfig, now: datetime, lease_seconds: int
) -> list[int]:
    """Rows a dead worker left `sending`: sent again where the receiver knows a repeat,
    otherwise `unknown` (it may have arrived)."""
    stuck = list(
        session.scalars(
            select(Notification).where(
                Notification.status == NotificationStatus.SENDING,
                Notification.updated_at < now - timedelta(seconds=lease_seconds),
            )
        )
    )
    again = []
    for row in stuck:
        target = config.notification(row.target)
        if target is not None and NOTIFIERS[target.kind].idempotent:
            row.status, row.next_attempt_at = NotificationStatus.PENDING, now
            again.append(row.id)
        else:
            row.status = NotificationStatus.UNKNOWN
            row.error = "interrupted while sending: it may or may not have arrived"
        row.updated_at = now
    return again


def due(session: Session, now: datetime, grace_seconds: float) -> list[int]:
    """Pending rows whose time is past by more than the grace: their messages were lost."""
    late = now - timedelta(seconds=grace_seconds)
    return list(
        session.scalars(
            select(Notification.id)
            .where(
                Notification.status == NotificationStatus.PENDING,
                Notification.next_attempt_at <= late,
            )
            .order_by(Notification.id)
            .limit(500)
        )
    )


def recent(session: Session, limit: int = 200) -> list[Notification]:
    return list(session.scalars(select(Notification).order_by(Notification.id.desc()).limit(limit)))
