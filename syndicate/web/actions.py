"""Reviewers' actions as the API and the review pages both run them: one transaction that
changes the post and writes the audit entry, then the delivery task once it has committed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from syndicate import audit, channels, extraposts, review
from syndicate.models import ALL_CHANNELS, Post, PostStatus, utcnow
from syndicate.platforms.base import EditRefused
from syndicate.runtime import Runtime
from syndicate.web.auth import Principal
from syndicate.web.errors import ApiError
from workers.enqueue import Enqueuer


def _run(
    runtime: Runtime,
    who: Principal,
    action: str,
    post_id: int,
    change: Callable[[Session], Post],
    detail: Callable[[Post], dict[str, Any]] = lambda post: {},
) -> Post:
    try:
        with runtime.factory.begin() as session:
            post = change(session)
            audit.record(
                session,
                who.name,
                action,
                utcnow(),
                post_id=post.id,
                article_id=post.article_id,
                channel=post.channel,
                status=post.status,
                **detail(post),
            )
            session.flush()
            session.expunge(post)  # still readable once the transaction has committed
            return post
    except review.PostNotFound:
        raise ApiError(404, f"no post {post_id}") from None
    except review.TransitionRefused as exc:
        raise ApiError(409, str(exc)) from None
    except (review.InvalidResolution, EditRefused) as exc:
        raise ApiError(422, str(exc)) from None


def _send_if_due(queue: Enqueuer, post: Post) -> None:
    if post.status == PostStatus.APPROVED and (
        post.scheduled_at is None or post.scheduled_at <= utcnow()
    ):
        queue.post_approved(post.id)


def _approved(post: Post) -> dict[str, Any]:
    return {"revision": post.approved_revision, "text": post.text}


def approve(
    runtime: Runtime, queue: Enqueuer, who: Principal, post_id: int, revision: int | None
) -> Post:
    post = _run(
        runtime,
        who,
        "approve",
        post_id,
        lambda s: review.approve(s, post_id, utcnow(), who.name, revision, runtime.config),
        _approved,
    )
    _send_if_due(queue, post)
    return post


def schedule(
    runtime: Runtime,
    queue: Enqueuer,
    who: Principal,
    post_id: int,
    when: datetime,
    revision: int | None,
) -> Post:
    post = _run(
        runtime,
        who,
        "schedule",
        post_id,
        lambda s: review.schedule(s, post_id, when, utcnow(), who.name, revision, runtime.config),
        lambda p: {**_approved(p), "scheduled_at": when.isoformat()},
    )
    _send_if_due(queue, post)
    return post


def send_now(
    runtime: Runtime, queue: Enqueuer, who: Principal, post_id: int, revision: int | None
) -> Post:
    post = _run(
        runtime,
        who,
        "send_now",
        post_id,
        lambda s: review.send_now(s, post_id, utcnow(), who.name, revision, runtime.config),
        _approved,
    )
    _send_if_due(queue, post)
    return post


def reject(runtime: Runtime, who: Principal, post_id: int, reason: str) -> Post:
    return _run(
        runtime,
        who,
        "reject",
        post_id,
        lambda s: review.reject(s, post_id, reason, utcnow()),
        lambda p: {"reason": reason},
    )


def retry(runtime: Runtime, queue: Enqueuer, who: Principal, post_id: int) -> Post:
    post = _run(runtime, who, "retry", post_id, lambda s: review.retry(s, post_id, utcnow()))
    _send_if_due(queue, post)
    return post


def resolve(
    runtime: Runtime, who: Principal, post_id: int, outcome: str, url: str, remote_id: str
) -> Post:
    return _run(
        runtime,
        who,
        "resolve",
        post_id,
        lambda s: review.resolve(s, post_id, outcome, utcnow(), who.name, url, remote_id),
        lambda p: {"outcome": outcome, "url": p.remote_url if outcome == "sent" else None},
    )


def edit(runtime: Runtime, who: Principal, post_id: int, text: str, alt: str | None = None) -> Post:
    before: dict[str, str] = {}

    def change(session: Session) -> Post:
        done = review.edit(session, post_id, text, runtime.config, runtime.templates, utcnow(), alt)
        before["text"] = done.before
        return done.post

    return _run(
        runtime,
        who,
        "edit",
        post_id,
        change,
        lambda p: {"before": before["text"], "after": p.text, "problem": p.problem},
    )


def add_post(
    runtime: Runtime,
    queue: Enqueuer,
    who: Principal,
    article_id: str,
    channel: str | None,
    text: str | None,
    scheduled_at: datetime | None,
    reshare_of: int | None = None,
) -> Post:
    """An extra post for the article on the channel, or (`reshare_of`) a sent post shared
    again; reviewed like any other, sent at once if the channel approves on its own."""
    now = utcnow()
    try:
        with runtime.factory.begin() as session:
            if reshare_of is not None:
                post = extraposts.reshare(
                    session, reshare_of, text, scheduled_at, runtime.config, runtime.templates, now
                )
            else:
                post = extraposts.add_post(
                    session,
                    article_id,
                    channel or "",
                    text,
                    scheduled_at,
                    runtime.config,
                    runtime.templates,
                    now,
                )
            audit.record(
                session,
                who.name,
                "reshare" if reshare_of is not None else "add_post",
                now,
                post_id=post.id,
                article_id=post.article_id,
                channel=post.channel,
                status=post.status,
                text=post.text,
            )
            session.flush()
            session.expunge(post)
    except extraposts.ExtraPostRefused as exc:
        raise ApiError(exc.status, str(exc)) from None
    except EditRefused as exc:
        raise ApiError(422, str(exc), [{"field": "text", "message": str(exc)}]) from None
    _send_if_due(queue, post)
    return post


def switch_channel(runtime: Runtime, who: Principal, name: str, paused: bool, reason: str) -> None:
    if name != ALL_CHANNELS and runtime.config.channel(name) is None:
        raise ApiError(404, f"no channel {name!r}")
    with runtime.factory.begin() as session:
        if paused:
            channels.pause(session, name, reason, utcnow())
        else:
            channels.resume(session, name, utcnow())
        action = "pause" if paused else "resume"
        audit.record(session, who.name, action, utcnow(), channel=name, reason=reason)
