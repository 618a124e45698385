"""What reviewers do to posts: edit, approve, schedule, send now, reject, retry. Each checks
the post's state and says plainly why an action is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from syndicate import cardchecks
from syndicate.adapters import adapter
from syndicate.config import SyndicateConfig
from syndicate.models import Delivery, Post, PostStatus
from syndicate.preview import preview
from syndicate.templating import Templates
from syndicate.weblinks import live_link

REVIEWABLE = (PostStatus.PENDING_REVIEW, PostStatus.APPROVED, PostStatus.INVALID)
RETRYABLE = (PostStatus.FAILED, PostStatus.UNKNOWN, PostStatus.NOT_SENT)
RESOLUTIONS = (PostStatus.SENT, PostStatus.NOT_SENT)


class PostNotFound(Exception):
    pass


class TransitionRefused(Exception):
    """The post is not in a state that allows the action; the message says why."""


class InvalidResolution(ValueError):
    """What a person said of an unknown post's outcome does not hold together."""


def _locked(session: Session, post_id: int) -> Post:
    post = session.scalars(select(Post).where(Post.id == post_id).with_for_update()).one_or_none()
    if post is None:
        raise PostNotFound(post_id)
    return post


def _current(post: Post, seen_revision: int | None) -> None:
    """Refuse to approve words the reviewer has not seen: the article (or the post's text
    for it) changed since the page was opened, or the post is still being recomposed."""
    if post.revision != post.article.revision:
        raise TransitionRefused(
            "the article changed and this post is being composed again: reload and review it"
        )
    if seen_revision is not None and seen_revision != post.revision:
        raise TransitionRefused("the article changed since you opened this post: review it again")


def _approve(post: Post, actor: str, now: datetime) -> None:
    post.status = PostStatus.APPROVED
    post.problem = ""
    post.approved_revision = post.revision
    post.approved_by = actor
    post.approval_withdrawn = False
    post.updated_at = now


def _cleared(post: Post, config: SyndicateConfig | None) -> None:
    """Refuse while the channel holds approvals on a card check that found problems."""
    channel = config.channel(post.channel) if config is not None else None
    reason = cardchecks.blocking(post, channel)
    if reason:
        raise TransitionRefused(reason)


def approve(
    session: Session,
    post_id: int,
    now: datetime,
    actor: str = "",
    revision: int | None = None,
    config: SyndicateConfig | None = None,
) -> Post:
    post = _locked(session, post_id)
    if post.status == PostStatus.APPROVED and post.approved_revision == post.revision:
        return post
    if post.status == PostStatus.INVALID:
        raise TransitionRefused(f"an invalid post cannot be approved: {post.problem}")
    if post.status not in (PostStatus.PENDING_REVIEW, PostStatus.APPROVED):
        raise TransitionRefused(f"a post that is {post.status} cannot be approved")
    _current(post, revision)
    _cleared(post, config)
    _approve(post, actor, now)
    return post


def schedule(
    session: Session,
    post_id: int,
    when: datetime,
    now: datetime,
    actor: str = "",
    revision: int | None = None,
    config: SyndicateConfig | None = None,
) -> Post:
    """Approve the post to go out at `when` (at once if that is already past)."""
    post = _locked(session, post_id)
    if post.status == PostStatus.INVALID:
        raise TransitionRefused(f"an invalid post cannot be scheduled: {post.problem}")
    if post.status not in (PostStatus.PENDING_REVIEW, PostStatus.APPROVED):
        raise TransitionRefused(f"a post that is {post.status} cannot be scheduled")
    _current(post, revision)
    _cleared(post, config)
    _approve(post, actor, now)
    post.scheduled_at = when
    return post


def send_now(
    session: Session,
    post_id: int,
    now: datetime,
    actor: str = "",
    revision: int | None = None,
    config: SyndicateConfig | None = None,
) -> Post:
    """Approve the post, dropping any schedule, so it goes out at once."""
    post = schedule(session, post_id, now, now, actor, revision, config)
    post.scheduled_at = None
    post.next_attempt_at = None
    return post


def reject(session: Session, post_id: int, reason: str, now: datetime) -> Post:
    post = _locked(session, post_id)
    if post.status == PostStatus.REJECTED:
        return post
    if post.status not in REVIEWABLE:
        raise TransitionRefused(f"a post that is {post.status} cannot be rejected")
    post.status = PostStatus.REJECTED
    post.problem = reason
    post.updated_at = now
    return post


def retry(session: Session, post_id: int, now: datetime) -> Post:
    """Send a failed post again, with a fresh retry budget. For an `unknown` post this is the
    reviewer saying they checked the platform and the post is not there."""
    post = _locked(session, post_id)
    if post.status not in RETRYABLE:
        raise TransitionRefused(f"a post that is {post.status} cannot be retried")
    attempts = session.scalar(select(func.count()).where(Delivery.post_id == post_id)) or 0
    post.status = PostStatus.APPROVED
    post.attempt_base = attempts
    post.next_attempt_at = None
    post.look_before_sending = False
    post.problem = ""
    post.updated_at = now
    return post


def resolve(
    session: Session,
    post_id: int,
    outcome: str,
    now: datetime,
    actor: str,
    url: str = "",
    remote_id: str = "",
) -> Post:
    """Settle a post whose outcome is unknown, as the person who looked at the platform says:
    `sent` (at `url`, its live address) or `not_sent`."""
    post = _locked(session, post_id)
    if post.status != PostStatus.UNKNOWN:
        raise TransitionRefused(
            f"only a post whose outcome is unknown can be resolved; this one is {post.status}"
        )
    if outcome == PostStatus.SENT:
        link = live_link(url.strip())
        if link is None:
            raise InvalidResolution("url: the live post's https address is needed to mark it sent")
        post.status, post.remote_url = PostStatus.SENT, link
        post.remote_id = remote_id.strip() or post.remote_id
        post.problem = f"marked sent by {actor}"
    elif outcome == PostStatus.NOT_SENT:
        post.status, post.problem = PostStatus.NOT_SENT, f"marked not sent by {actor}"
    else:
        raise InvalidResolution("outcome: must be sent or not_sent")
    post.next_attempt_at = None
    post.look_before_sending = False
    post.updated_at = now
    return post


@dataclass(frozen=True)
class Edit:
    post: Post
    before: str


def edit(
    session: Session,
    post_id: int,
    text: str,
    config: SyndicateConfig,
    templates: Templates,
    now: datetime,
    alt: str | None = None,
) -> Edit:
    """Replace the post's text (and, if given, its image's description). It is measured as
    the platform measures it: an edited post goes back for review, or is marked invalid, and
    any approval is withdrawn."""
    post = _locked(session, post_id)
    if post.status not in REVIEWABLE:
        raise TransitionRefused(f"a post that is {post.status} cannot be edited")
    channel = config.channel(post.channel)
    if channel is None:
        raise TransitionRefused(f"channel {post.channel!r} is no longer configured")
    before = post.text
    text = adapter(channel).edited_text(text)  # EditRefused: nothing is stored
    checked = preview(post.article, channel, templates, text)
    post.text = checked.text
    described = alt if alt is not None else post.extras.get("alt")
    post.extras = {**checked.extras, **({"alt": described[:1000]} if described else {})}
    post.edited = True
    post.problem = "; ".join(checked.problems)
    post.status = PostStatus.INVALID if checked.problems else PostStatus.PENDING_REVIEW
    post.approved_revision = None
    post.approval_withdrawn = False
    post.updated_at = now
    return Edit(post, before)


@dataclass(frozen=True)
class PostFilter:
    status: str | None = None
    channel: str | None = None
    platform: str | None = None
    article_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_posts(
    session: Session, where: PostFilter, limit: int = 100, offset: int = 0
) -> list[Post]:
    return list(session.scalars(_filtered(where).limit(limit).offset(offset)))


def count_posts(session: Session, where: PostFilter) -> int:
    query = _filtered(where).order_by(None).with_only_columns(func.count(Post.id))
    return int(session.scalar(query) or 0)


def _filtered(where: PostFilter) -> Select[Any]:
    query = select(Post).order_by(Post.created_at.desc(), Post.id.desc())
    if where.status:
        query = query.where(Post.status == where.status)
    if where.channel:
        query = query.where(Post.channel == where.channel)
    if where.platform:
        query = query.where(Post.platform == where.platform)
    if where.article_id:
        query = query.where(Post.article_id == where.article_id)
    if where.since:
        query = query.where(Post.created_at >= where.since)
    if where.until:
        query = query.where(Post.created_at < where.until)
    return query
