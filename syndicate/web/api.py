"""The review JSON API under /api/: bearer tokens for automation, or the review app's session
(with its CSRF header). Each route names the least role that may call it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from syndicate import audit, cardchecks, channels, review
from syndicate.articles import transient_article
from syndicate.cms import ArticleIn
from syndicate.compose import CompositionError
from syndicate.models import ALL_CHANNELS, Article, Post, PostStatus, utcnow
from syndicate.moments import Moment
from syndicate.preview import Preview, preview
from syndicate.web import actions
from syndicate.web.auth import Admin, Approver, Editor, Viewer
from syndicate.web.deps import AppRuntime, DbSession, TaskQueue
from syndicate.web.errors import ApiError
from syndicate.web.params import MAX_ID, Offset, PostId

router = APIRouter(prefix="/api", tags=["api"])


class PostOut(BaseModel):
    id: int
    channel: str
    sequence: int = Field(description="0 for the composed post; 1, 2, … for posts added by hand")
    platform: str
    article_id: str
    revision: int
    text: str
    link: str
    status: str
    problem: str
    scheduled_at: datetime | None
    alt: str = Field(default="", description="the description of the post's image")
    remote_url: str | None
    edited: bool
    approved_revision: int | None
    approved_by: str
    approval_withdrawn: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, post: Post) -> PostOut:
        found = cls.model_validate(post, from_attributes=True)
        return found.model_copy(update={"alt": str((post.extras or {}).get("alt") or "")})


class RejectIn(BaseModel):
    reason: str = Field(default="", max_length=2000)


class ApproveIn(BaseModel):
    revision: int | None = Field(
        default=None,
        description="the article revision the reviewer saw; refused (409) if it has moved on",
    )


class EditIn(BaseModel):
    text: str = Field(max_length=100_000, description="the post's new text")
    alt: str | None = Field(
        default=None, min_length=1, max_length=1000, description="a new description of its image"
    )


class BulkApproveIn(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=500)


class BulkResult(BaseModel):
    id: int
    ok: bool
    status: str | None = None
    error: str | None = None


class PreviewIn(BaseModel):
    channel: str = Field(description="the name of a configured channel")
    article_id: str | None = Field(default=None, description="a stored article")
    article: ArticleIn | None = Field(default=None, description="or an article not stored yet")
    text: str | None = Field(
        default=None, max_length=100_000, description="an edited text to measure instead"
    )


@router.post("/preview", response_model=Preview)
def preview_post(
    payload: PreviewIn, runtime: AppRuntime, session: DbSession, who: Viewer
) -> Preview:
    """What a channel would post for an article, or how an edited text measures."""
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
    who: Viewer,
    status: PostStatus | None = None,
    channel: str | None = None,
    platform: str | None = None,
    article_id: str | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    limit: int = Query(default=100, ge=1, le=500),
    offset: Offset = 0,
) -> list[PostOut]:
    """Posts, newest first, filtered by status, channel, platform, article and creation time."""
    where = review.PostFilter(status, channel, platform, article_id, since, until)
    return [PostOut.of(p) for p in review.list_posts(session, where, limit, offset)]


@router.get("/posts/{post_id}", response_model=PostOut)
def get_post(post_id: PostId, session: DbSession, who: Viewer) -> PostOut:
    post = session.get(Post, post_id)
    if post is None:
        raise ApiError(404, f"no post {post_id}")
    return PostOut.of(post)


@router.post("/posts/{post_id}/approve", response_model=PostOut)
async def approve_post(
    post_id: PostId,
    runtime: AppRuntime,
    queue: TaskQueue,
    who: Approver,
    payload: Annotated[ApproveIn | None, Body()] = None,
) -> PostOut:
    revision = payload.revision if payload else None
    post = await run_in_threadpool(actions.approve, runtime, queue, who, post_id, revision)
    return PostOut.of(post)


@router.post("/posts/bulk-approve", response_model=list[BulkResult])
async def bulk_approve(
    payload: BulkApproveIn, runtime: AppRuntime, queue: TaskQueue, who: Approver
) -> list[BulkResult]:
    """Approve several posts; each succeeds or fails on its own, with its reason."""
    results = []
    for post_id in dict.fromkeys(payload.ids):
        try:
            post = await run_in_threadpool(actions.approve, runtime, queue, who, post_id, None)
            results.append(BulkResult(id=post_id, ok=True, status=post.status))
        except ApiError as exc:
            results.append(BulkResult(id=post_id, ok=False, error=exc.message))
    return results


@router.post("/posts/{post_id}/edit", response_model=PostOut)
async def edit_post(post_id: PostId, payload: EditIn, runtime: AppRuntime, who: Editor) -> PostOut:
    """Replace a post's text. It goes back for review (or is marked invalid if the platform
    would refuse it), and any approval is withdrawn."""
    post = await run_in_threadpool(actions.edit, runtime, who, post_id, payload.text, payload.alt)
    return PostOut.of(post)


@router.post("/posts/{post_id}/send-now", response_model=PostOut)
async def send_post_now(
    post_id: PostId,
    runtime: AppRuntime,
    queue: TaskQueue,
    who: Approver,
    payload: Annotated[ApproveIn | None, Body()] = None,
) -> PostOut:
    revision = payload.revision if payload else None
    post = await run_in_threadpool(actions.send_now, runtime, queue, who, post_id, revision)
    return PostOut.of(post)


@router.post("/posts/{post_id}/retry", response_model=PostOut)
async def retry_post(
    post_id: PostId, runtime: AppRuntime, queue: TaskQueue, who: Approver
) -> PostOut:
    """Send a failed (or unknown) post again."""
    post = await run_in_threadpool(actions.retry, runtime, queue, who, post_id)
    return PostOut.of(post)


class PreflightOut(BaseModel):
    post_id: int
    checked: bool
    report: dict[str, Any] | None
    # Why the channel will refuse to approve the post, if it holds approvals on the check.
    blocks_approval: str | None


@router.get("/posts/{post_id}/preflight", response_model=PreflightOut)
async def preflight_post(post_id: PostId, runtime: AppRuntime, who: Viewer) -> PreflightOut:
    """Fetch the article page as the post's platform's crawler does, now, and say what its
    link card will show or miss. `checked` is false where the platform does not crawl it
    (Bluesky, LinkedIn and webhook posts carry their own card)."""
    fetcher = cardchecks.fetcher(runtime.settings)
    report = await run_in_threadpool(
        cardchecks.check_post, runtime.factory, post_id, fetcher, utcnow()
    )
    with runtime.factory() as session:
        post = session.get(Post, post_id)
        if post is None:
            raise ApiError(404, f"no post {post_id}")
        blocks = cardchecks.blocking(post, runtime.config.channel(post.channel))
    return PreflightOut(
        post_id=post_id,
        checked=report is not None,
        report=report.as_json() if report else None,
        blocks_approval=blocks,
    )


class ArticlePreflightOut(BaseModel):
    article_id: str
    url: str
    reports: list[dict[str, Any]]


@router.get("/articles/{article_id}/preflight", response_model=ArticlePreflightOut)
async def preflight_article(
    article_id: Annotated[str, Path(max_length=128)], runtime: AppRuntime, who: Viewer
) -> ArticlePreflightOut:
    """Fetch the article page as every platform's crawler does, now, and say for each what its
    link card will show or miss."""
    with runtime.factory() as session:
        article = session.get(Article, article_id)
        if article is None or not article.url:
            raise ApiError(404, f"no article {article_id!r}")
        url = article.url
    fetcher = cardchecks.fetcher(runtime.settings)
    reports = await run_in_threadpool(cardchecks.check_everywhere, url, fetcher)
    return ArticlePreflightOut(
        article_id=article_id, url=url, reports=[r.as_json() for r in reports]
    )


class ResolveIn(BaseModel):
    outcome: Literal["sent", "not_sent"]
    url: str = Field(default="", max_length=2000)
    remote_id: str = Field(default="", max_length=500)


@router.post("/posts/{post_id}/resolve", response_model=PostOut)
async def resolve_post(
    post_id: PostId, payload: ResolveIn, runtime: AppRuntime, who: Approver
) -> PostOut:
    """Settle a post whose outcome is unknown: `sent` (with the live post's `url`, and its
    `remote_id` if it is to be edited or deleted later) or `not_sent`."""
    post = await run_in_threadpool(
        actions.resolve, runtime, who, post_id, payload.outcome, payload.url, payload.remote_id
    )
    return PostOut.of(post)


class ScheduleIn(BaseModel):
    at: Moment = Field(description="when to send, with its UTC offset (RFC 3339)")
    revision: int | None = None


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
    post_id: PostId, payload: ScheduleIn, runtime: AppRuntime, queue: TaskQueue, who: Approver
) -> PostOut:
    post = await run_in_threadpool(
        actions.schedule, runtime, queue, who, post_id, payload.at, payload.revision
    )
    return PostOut.of(post)


@router.get("/channels", response_model=list[ChannelOut])
def list_channels(runtime: AppRuntime, session: DbSession, who: Viewer) -> list[ChannelOut]:
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


@router.post("/channels/{name}/pause", status_code=204)
def pause_channel(
    name: str, runtime: AppRuntime, who: Admin, payload: Annotated[PauseIn | None, Body()] = None
) -> None:
    actions.switch_channel(runtime, who, name, True, payload.reason if payload else "")


@router.post("/channels/{name}/resume", status_code=204)
def resume_channel(name: str, runtime: AppRuntime, who: Admin) -> None:
    actions.switch_channel(runtime, who, name, False, "")


@router.post("/pause", status_code=204)
def pause_everything(
    runtime: AppRuntime, who: Admin, payload: Annotated[PauseIn | None, Body()] = None
) -> None:
    """The emergency stop: no channel sends anything until /api/resume."""
    actions.switch_channel(runtime, who, ALL_CHANNELS, True, payload.reason if payload else "")


@router.post("/resume", status_code=204)
def resume_everything(runtime: AppRuntime, who: Admin) -> None:
    actions.switch_channel(runtime, who, ALL_CHANNELS, False, "")


@router.post("/posts/{post_id}/reject", response_model=PostOut)
async def reject_post(
    post_id: PostId,
    runtime: AppRuntime,
    who: Approver,
    payload: Annotated[RejectIn | None, Body()] = None,
) -> PostOut:
    reason = payload.reason if payload else ""
    post = await run_in_threadpool(actions.reject, runtime, who, post_id, reason)
    return PostOut.of(post)


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    post_id: PostId | None
    article_id: str | None
    detail: dict[str, Any]


@router.get("/audit", response_model=list[AuditOut])
def audit_log(
    session: DbSession,
    who: Viewer,
    post_id: PostId | None = None,
    article_id: str | None = None,
    limit: int = Query(default=100, ge=1, le=500),
    offset: Offset = 0,
) -> list[AuditOut]:
    """Who did what and when, newest first; edits carry the text before and after."""
    found = audit.entries(
        session, post_id=post_id, article_id=article_id, limit=limit, offset=offset
    )
    return [AuditOut.model_validate(e, from_attributes=True) for e in found]
