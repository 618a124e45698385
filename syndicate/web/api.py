"""The review JSON API under /api/, authenticated with the bearer token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import AwareDatetime, BaseModel, Field
from starlette.concurrency import run_in_threadpool

from syndicate import channels, review
from syndicate.articles import transient_article
from syndicate.cms import ArticleIn
from syndicate.compose import CompositionError
from syndicate.models import ALL_CHANNELS, Article, Post, PostStatus, utcnow
from syndicate.preview import Preview, preview
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


class PreviewIn(BaseModel):
    channel: str = Field(description="the name of a configured channel")
    article_id: str | None = Field(default=None, description="a stored article")
    article: ArticleIn | None = Field(default=None, description="or an article not stored yet")
    text: str | None = Field(
        default=None, max_length=100_000, description="an edited text to measure instead"
    )


@router.post("/preview", response_model=Preview)
def preview_post(payload: PreviewIn, runtime: AppRuntime, session: DbSession) -> Preview:
    channel = runtime.config.channel(payload.channel)
    if channel is None:
        raise ApiError(404, f"no channel {payload.channel!r}")
    if payload.article is not None:
        article = transient_article(payload.article)
    elif payload.article_id is not None:
        stored = session.get(Article, payload.article_id)
        if stored is None:
            raise ApiError(404, f"no article {payload.article_id!r}")
        article = stored
    else:
        raise ApiError(
            422,
            "give an article_id or an article",
            [{"field": "article_id", "message": "one of article_id, article"}],
        )
    try:
        result = preview(article, channel, runtime.templates, payload.text)
    except CompositionError as exc:
        raise ApiError(422, str(exc)) from None
    return result


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


class ScheduleIn(BaseModel):
    at: AwareDatetime = Field(description="when to send, with its UTC offset (RFC 3339)")


class PauseIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class ChannelOut(BaseModel):
    name: str
    platform: str
    enabled: bool
    auto_approve: bool
    paused: bool
    needs_credentials: bool
    reason: str


@router.post("/posts/{post_id}/schedule", response_model=PostOut)
async def schedule_post(
    post_id: int, payload: ScheduleIn, runtime: AppRuntime, queue: TaskQueue
) -> PostOut:
    post = await run_in_threadpool(
        _transition, runtime, review.schedule, post_id, payload.at, utcnow()
    )
    if post.scheduled_at is not None and post.scheduled_at <= utcnow():
        await run_in_threadpool(queue.post_approved, post.id)
    return PostOut.of(post)


@router.get("/channels", response_model=list[ChannelOut])
def list_channels(runtime: AppRuntime, session: DbSession) -> list[ChannelOut]:
    found = channels.states(session)
    everything = found.get(ALL_CHANNELS)
    out = []
    for channel in runtime.config.channels:
        state = found.get(channel.name)
        paused = bool(state and state.paused) or bool(everything and everything.paused)
        reason = channels.paused_because(session, channel.name) or ""
        out.append(
            ChannelOut(
                name=channel.name,
                platform=channel.platform,
                enabled=channel.enabled,
                auto_approve=channel.auto_approve,
                paused=paused,
                needs_credentials=bool(state and state.needs_credentials),
                reason=reason,
            )
        )
    return out


def _switch(runtime: AppRuntime, name: str, paused: bool, reason: str) -> None:
    if name != ALL_CHANNELS and runtime.config.channel(name) is None:
        raise ApiError(404, f"no channel {name!r}")
    with runtime.factory.begin() as session:
        if paused:
            channels.pause(session, name, reason, utcnow())
        else:
            channels.resume(session, name, utcnow())


@router.post("/channels/{name}/pause", status_code=204)
def pause_channel(
    name: str, runtime: AppRuntime, payload: Annotated[PauseIn | None, Body()] = None
) -> None:
    _switch(runtime, name, True, payload.reason if payload else "")


@router.post("/channels/{name}/resume", status_code=204)
def resume_channel(name: str, runtime: AppRuntime) -> None:
    _switch(runtime, name, False, "")


@router.post("/pause", status_code=204)
def pause_everything(
    runtime: AppRuntime, payload: Annotated[PauseIn | None, Body()] = None
) -> None:
    """The emergency stop: no channel sends anything until /api/resume."""
    _switch(runtime, ALL_CHANNELS, True, payload.reason if payload else "")


@router.post("/resume", status_code=204)
def resume_everything(runtime: AppRuntime) -> None:
    _switch(runtime, ALL_CHANNELS, False, "")


@router.post("/posts/{post_id}/reject", response_model=PostOut)
async def reject_post(
    post_id: int, runtime: AppRuntime, payload: Annotated[RejectIn | None, Body()] = None
) -> PostOut:
    reason = payload.reason if payload else ""
    post = await run_in_threadpool(_transition, runtime, review.reject, post_id, reason, utcnow())
    return PostOut.of(post)
