"""Post states a reviewer moves: approve and reject (edit, schedule and retry build on these)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate.models import Post, PostStatus


class PostNotFound(Exception):
    pass


class TransitionRefused(Exception):
    """The post is not in a state that allows the action; the message says why."""


def _locked(session: Session, post_id: int) -> Post:
    post = session.scalars(select(Post).where(Post.id == post_id).with_for_update()).one_or_none()
    if post is None:
        raise PostNotFound(post_id)
    return post


def approve(session: Session, post_id: int, now: datetime) -> Post:
    post = _locked(session, post_id)
    if post.status == PostStatus.APPROVED:
        return post
    if post.status == PostStatus.INVALID:
        raise TransitionRefused(f"an invalid post cannot be approved: {post.problem}")
    if post.status != PostStatus.PENDING_REVIEW:
        raise TransitionRefused(f"a post that is {post.status} cannot be approved")
    post.status = PostStatus.APPROVED
    post.problem = ""
    post.updated_at = now
    return post


def schedule(session: Session, post_id: int, when: datetime, now: datetime) -> Post:
    """Approve the post to go out at `when` (at once if that is already past)."""
    post = _locked(session, post_id)
    if post.status == PostStatus.INVALID:
        raise TransitionRefused(f"an invalid post cannot be scheduled: {post.problem}")
    if post.status not in (PostStatus.PENDING_REVIEW, PostStatus.APPROVED):
        raise TransitionRefused(f"a post that is {post.status} cannot be scheduled")
    post.status = PostStatus.APPROVED
    post.scheduled_at = when
    post.problem = ""
    post.updated_at = now
    return post


def reject(session: Session, post_id: int, reason: str, now: datetime) -> Post:
    post = _locked(session, post_id)
    if post.status == PostStatus.REJECTED:
        return post
    if post.status not in (PostStatus.PENDING_REVIEW, PostStatus.APPROVED, PostStatus.INVALID):
        raise TransitionRefused(f"a post that is {post.status} cannot be rejected")
    post.status = PostStatus.REJECTED
    post.problem = reason
    post.updated_at = now
    return post


def list_posts(
    session: Session, status: str | None, limit: int = 100, offset: int = 0
) -> list[Post]:
    query = select(Post).order_by(Post.created_at.desc(), Post.id.desc())
    if status:
        query = query.where(Post.status == status)
    return list(session.scalars(query.limit(limit).offset(offset)))
