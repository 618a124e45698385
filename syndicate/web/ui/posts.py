"""The queue and the post page, and the forms that edit, approve, schedule, send, reject and
retry posts. They run the same actions as the JSON API."""

from __future__ import annotations

import math
import zoneinfo
from datetime import datetime, time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from syndicate import cardchecks, engagement, lifecycle, preflight, review, threads
from syndicate.models import Post, PostStatus, Role, utcnow
from syndicate.moments import in_range
from syndicate.platforms import PLATFORMS
from syndicate.users import set_timezone
from syndicate.web import actions
from syndicate.web.auth import Principal
from syndicate.web.deps import AppRuntime, DbSession, TaskQueue
from syndicate.web.errors import ApiError
from syndicate.web.params import MAX_ID, Page, PostId
from syndicate.web.ui import display
from syndicate.web.ui.display import from_input_time
from syndicate.web.ui.session import (
    PREFIX,
    ApproverForm,
    EditorForm,
    Submitted,
    ViewerPage,
    back_to,
    form_with,
    notice_for,
    render,
)
from syndicate.web.ui.views import history, post_view

router = APIRouter(prefix=PREFIX, include_in_schema=False)
PAGE_SIZE = 25
Revision = Annotated[int | None, Field(ge=0, le=MAX_ID)]
PostText = Annotated[str, Field(max_length=100_000)]


AltText = Annotated[str, Field(max_length=1000)]


class EditFields(BaseModel):
    text: PostText
    alt: AltText | None = None  # the image's description


class ApproveFields(BaseModel):
    revision: Revision = None
    text: PostText | None = None  # as the reviewer left it, saved before approving
    alt: AltText | None = None


class ScheduleFields(BaseModel):
    at: str = Field(max_length=40)
    revision: Revision = None
    # The zone `at` is read in; the reviewer's own, and remembered as it from then on.
    timezone: str | None = Field(default=None, max_length=64)
    # Where the form was: the post's page, or the calendar (week or day) it goes back to.
    back: Literal["post", "calendar"] = "post"
    view: Literal["week", "day"] = "week"


class RejectFields(BaseModel):
    reason: str = Field(default="", max_length=2000)


class ResolveFields(BaseModel):
    outcome: Literal["sent", "not_sent"]
    url: str = Field(default="", max_length=2000)


class BulkFields(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=500)


def _day(value: str | None, timezone: str, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value).date()
        start = datetime.combine(day, time(), tzinfo=zoneinfo.ZoneInfo(timezone))
        return in_range(start + timedelta(days=1) if end else start)
    except (ValueError, OverflowError):
        return None  # not a day the service could hold: no filter


@router.get("/queue")
def queue(
    request: Request,
    runtime: AppRuntime,
    session: DbSession,
    who: ViewerPage,
    status: str = PostStatus.PENDING_REVIEW.value,
    channel: str = "",
    platform: str = "",
    article: str = "",
    since: str = "",
    until: str = "",
    page: Page = 1,
) -> Response:
    where = review.PostFilter(
        status=status if status in set(PostStatus) else None,
        channel=channel or None,
        platform=platform or None,
        article_id=article or None,
        since=_day(since, who.timezone),
        until=_day(until, who.timezone, end=True),
    )
    total = review.count_posts(session, where)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(1, page), pages)
    posts = review.list_posts(session, where, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    groups: list[tuple[object, list[Post]]] = []
    for post in posts:
        if groups and groups[-1][0] is post.article:
            groups[-1][1].append(post)
        else:
            groups.append((post.article, [post]))
    filters = {
        "status": status,
        "channel": channel,
        "platform": platform,
        "article": article,
        "since": since,
        "until": until,
    }
    return render(
        runtime,
        "review/queue.html.j2",
        who,
        groups=groups,
        filters=filters,
        statuses=list(PostStatus),
        channels=[c.name for c in runtime.config.channels],
        platforms=sorted(PLATFORMS),
        page=page,
        pages=pages,
        total=total,
        notice=notice_for(request),
    )


def _post_page(
    runtime: AppRuntime,
    session: DbSession,
    who: Principal,
    post_id: int,
    error: str = "",
    status_code: int = 200,
    notice: str = "",
) -> Response:
    post = session.get(Post, post_id)
    if post is None:
        raise ApiError(404, f"no post {post_id}")
    return render(
        runtime,
        "review/post.html.j2",
        who,
        status_code,
        view=post_view(session, runtime, post),
        history=history(session, post),
        changes=lifecycle.changes_of(session, post.id),
        engagement=engagement.of_post(session, post.id),
        checks_card=preflight.checks_posts_on(post.platform),
        error=error,
        notice=notice,
        timezone=who.timezone,
        zones=display.TIME_ZONES,
    )


@router.get("/posts/{post_id}")
def post_page(
    request: Request, post_id: PostId, runtime: AppRuntime, session: DbSession, who: ViewerPage
) -> Response:
    return _post_page(runtime, session, who, post_id, notice=notice_for(request))


def _refused(
    runtime: AppRuntime, session: DbSession, who: Principal, post_id: int, exc: ApiError
) -> Response:
    if exc.status == 404:
        raise exc
    session.expire_all()
    return _post_page(runtime, session, who, post_id, exc.message, exc.status)


@router.post("/posts/{post_id}/edit")
async def edit(
    post_id: PostId,
    runtime: AppRuntime,
    session: DbSession,
    sent: Annotated[Submitted[EditFields], form_with(Role.EDITOR, EditFields)],
) -> Response:
    who = sent.who
    try:
        post = await run_in_threadpool(
            actions.edit, runtime, who, post_id, sent.fields.text, sent.fields.alt
        )
    except ApiError as exc:
        return _refused(runtime, session, who, post_id, exc)
    return back_to(f"/posts/{post_id}", "invalid" if post.status == "invalid" else "saved")


async def _approve_as_shown(
    runtime: AppRuntime,
    session: DbSession,
    queue: TaskQueue,
    who: Principal,
    post_id: int,
    text: str | None,
    revision: int | None,
    approve: str,
    when: datetime | None = None,
    alt: str | None = None,
) -> Response:
    """Save the text (and image description) as the reviewer left them, if they changed
    them, then approve that."""
    try:
        current = session.get(Post, post_id)
        if current is None:
            raise ApiError(404, f"no post {post_id}")
        shown = threads.joined(current.text, current.extras.get("thread"))
        text_changed = text is not None and text.replace("\r\n", "\n") != shown
        alt_changed = alt is not None and alt != current.extras.get("alt")
        if text_changed or alt_changed:
            typed = current.text if text is None else text
            edited = await run_in_threadpool(actions.edit, runtime, who, post_id, typed, alt)
            if edited.status == PostStatus.INVALID:
                raise ApiError(409, f"the post was saved but cannot be approved: {edited.problem}")
        if approve == "schedule" and when is not None:
            await run_in_threadpool(actions.schedule, runtime, queue, who, post_id, when, revision)
            return back_to(f"/posts/{post_id}", "scheduled")
        if approve == "send_now":
            await run_in_threadpool(actions.send_now, runtime, queue, who, post_id, revision)
            return back_to(f"/posts/{post_id}", "sending")
        await run_in_threadpool(actions.approve, runtime, queue, who, post_id, revision)
        return back_to(f"/posts/{post_id}", "approved")
    except ApiError as exc:
        return _refused(runtime, session, who, post_id, exc)


@router.post("/posts/{post_id}/approve")
async def approve(
    post_id: PostId,
    runtime: AppRuntime,
    session: DbSession,
    queue: TaskQueue,
    sent: Annotated[Submitted[ApproveFields], form_with(Role.APPROVER, ApproveFields)],
) -> Response:
    form = sent.fields
    return await _approve_as_shown(
        runtime,
        session,
        queue,
        sent.who,
        post_id,
        form.text,
        form.revision,
        "approve",
        None,
        form.alt,
    )


@router.post("/posts/{post_id}/send-now")
async def send_now(
    post_id: PostId,
    runtime: AppRuntime,
    session: DbSession,
    queue: TaskQueue,
    sent: Annotated[Submitted[ApproveFields], form_with(Role.APPROVER, ApproveFields)],
) -> Response:
    form = sent.fields
    return await _approve_as_shown(
        runtime,
        session,
        queue,
        sent.who,
        post_id,
        form.text,
        form.revision,
        "send_now",
        None,
        form.alt,
    )


@router.post("/posts/{post_id}/schedule")
async def schedule(
    post_id: PostId,
    runtime: AppRuntime,
    session: DbSession,
    queue: TaskQueue,
    sent: Annotated[Submitted[ScheduleFields], form_with(Role.APPROVER, ScheduleFields)],
) -> Response:
    who, at = sent.who, sent.fields.at
    zone = sent.fields.timezone or who.timezone
    if zone not in display.TIME_ZONES:
        return _post_page(runtime, session, who, post_id, f"{zone!r} is not a time zone", 422)
    try:
        when = from_input_time(at, zone)
    except ValueError:
        problem = f"{at!r} is not a date and time between 1970 and 2199"
        return _post_page(runtime, session, who, post_id, problem, 422)
    if zone != who.timezone:
        with runtime.factory.begin() as tx:
            set_timezone(tx, who.name, zone)
    answer = await _approve_as_shown(
        runtime, session, queue, who, post_id, None, sent.fields.revision, "schedule", when
    )
    if sent.fields.back == "calendar" and answer.status_code == 303:
        day = when.astimezone(zoneinfo.ZoneInfo(zone)).date().isoformat()
        query = urlencode({"date": day, "view": sent.fields.view, "notice": "scheduled"})
        return RedirectResponse(f"{PREFIX}/calendar?{query}", status_code=303)
    return answer


@router.post("/posts/{post_id}/reject")
async def reject(
    post_id: PostId,
    runtime: AppRuntime,
    session: DbSession,
    sent: Annotated[Submitted[RejectFields], form_with(Role.APPROVER, RejectFields)],
) -> Response:
    who = sent.who
    try:
        await run_in_threadpool(actions.reject, runtime, who, post_id, sent.fields.reason)
    except ApiError as exc:
        return _refused(runtime, session, who, post_id, exc)
    return back_to(f"/posts/{post_id}", "rejected")


@router.post("/posts/{post_id}/retry")
async def retry(
    post_id: PostId, runtime: AppRuntime, session: DbSession, queue: TaskQueue, who: ApproverForm
) -> Response:
    try:
        await run_in_threadpool(actions.retry, runtime, queue, who, post_id)
    except ApiError as exc:
        return _refused(runtime, session, who, post_id, exc)
    return back_to(f"/posts/{post_id}", "retrying")


@router.post("/posts/{post_id}/resolve")
async def resolve(
    post_id: PostId,
    runtime: AppRuntime,
    session: DbSession,
    sent: Annotated[Submitted[ResolveFields], form_with(Role.APPROVER, ResolveFields)],
) -> Response:
    who, fields = sent.who, sent.fields
    try:
        await run_in_threadpool(
            actions.resolve, runtime, who, post_id, fields.outcome, fields.url, ""
        )
    except ApiError as exc:
        return _refused(runtime, session, who, post_id, exc)
    return back_to(f"/posts/{post_id}", "resolved")


@router.post("/posts/{post_id}/preflight")
async def check_card(
    post_id: PostId, runtime: AppRuntime, session: DbSession, who: EditorForm
) -> Response:
    if session.get(Post, post_id) is None:
        raise ApiError(404, f"no post {post_id}")
    fetcher = cardchecks.fetcher(runtime.settings)
    await run_in_threadpool(cardchecks.check_post, runtime.factory, post_id, fetcher, utcnow())
    return back_to(f"/posts/{post_id}", "card-checked")


@router.post("/queue/approve")
async def bulk_approve(
    runtime: AppRuntime,
    session: DbSession,
    queue: TaskQueue,
    sent: Annotated[Submitted[BulkFields], form_with(Role.APPROVER, BulkFields)],
) -> Response:
    who = sent.who
    failed = []
    for post_id in dict.fromkeys(sent.fields.ids):
        try:
            await run_in_threadpool(actions.approve, runtime, queue, who, post_id, None)
        except ApiError as exc:
            failed.append(f"post {post_id}: {exc.message}")
    if failed:
        return render(
            runtime,
            "review/refused.html.j2",
            who,
            409,
            message="Not approved: " + "; ".join(failed),
        )
    return back_to("/queue", "approved")
