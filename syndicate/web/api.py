"""The review JSON API under /api/, authenticated with the bearer token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from syndicate import review
from syndicate.models import Post, PostStatus, utcnow
from syndicate.web.deps import AppRuntime, DbSession, RequireToken, TaskQueue
from syndicate.web.errors import ApiError

router = APIRouter(prefix="/api", dependencies=[RequireToken])


class PostOut(BaseModel):
    id: int
    channel: str
    platform: str
    article_id: str
    revision: int
    text: str
    link: str
    status: str
    problem: str
    scheduled_at: datetime | None
    remote_url: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, post: Post) -> PostOut:
        return cls.model_validate(post, from_attributes=True)


class RejectIn(BaseModel):
    reason: str = Field(default="", max_length=2000)


@router.get("/posts", response_model=list[PostOut])
def list_posts(
    session: DbSession,
    status: PostStatus | None = None,
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> list[PostOut]:
    return [PostOut.of(p) for p in review.list_posts(session, status, limit, offset)]


@router.get("/posts/{post_id}", response_model=PostOut)
def get_post(post_id: int, session: DbSession) -> PostOut:
    post = session.get(Post, post_id)
    if post is None:
        raise ApiError(404, f"no post {post_id}")
    return PostOut.of(post)


def _transition(runtime: AppRuntime, action: Any, post_id: int, *args: Any) -> Post:
    try:
        with runtime.factory.begin() as session:
            post: Post = action(session, post_id, *args)
            return post
    except review.PostNotFound:
        raise ApiError(404, f"no post {post_id}") from None
    except review.TransitionRefused as exc:
        raise ApiError(409, str(exc)) from None


@router.post("/posts/{post_id}/approve", response_model=PostOut)
async def approve_post(post_id: int, runtime: AppRuntime, queue: TaskQueue) -> PostOut:
    post = await run_in_threadpool(_transition, runtime, review.approve, post_id, utcnow())
    if post.status == PostStatus.APPROVED:
        await run_in_threadpool(queue.post_approved, post.id)
    return PostOut.of(post)


@router.post("/posts/{post_id}/reject", response_model=PostOut)
async def reject_post(
    post_id: int, runtime: AppRuntime, payload: Annotated[RejectIn | None, Body()] = None
) -> PostOut:
    reason = payload.reason if payload else ""
    post = await run_in_threadpool(_transition, runtime, review.reject, post_id, reason, utcnow())
    return PostOut.of(post)
