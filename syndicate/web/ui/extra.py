"""The forms that add a post by hand: a new post on the article page, a re-share on a sent
post's page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from syndicate.models import Role
from syndicate.web import actions
from syndicate.web.deps import AppRuntime, TaskQueue
from syndicate.web.errors import ApiError
from syndicate.web.params import PostId
from syndicate.web.ui.display import from_input_time
from syndicate.web.ui.session import PREFIX, Submitted, back_to, form_with

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class NewPostFields(BaseModel):
    channel: str = Field(max_length=63)
    text: str = Field(default="", max_length=100_000)
    at: str = Field(default="", max_length=40)


class ReshareFields(BaseModel):
    text: str = Field(default="", max_length=100_000)


@router.post("/articles/{article_id}/posts")
async def new_post(
    article_id: str,
    runtime: AppRuntime,
    queue: TaskQueue,
    sent: Annotated[Submitted[NewPostFields], form_with(Role.EDITOR, NewPostFields)],
) -> Response:
    fields = sent.fields
    try:
        when = from_input_time(fields.at, sent.who.timezone) if fields.at else None
    except ValueError:
        problem = f"{fields.at!r} is not a date and time between 1970 and 2199"
        raise ApiError(422, problem, [{"field": "at", "message": problem}]) from None
    text = fields.text.replace("\r\n", "\n") or None
    post = await run_in_threadpool(
        actions.add_post, runtime, queue, sent.who, article_id, fields.channel, text, when
    )
    return back_to(f"/posts/{post.id}", "added")


@router.post("/posts/{post_id}/reshare")
async def reshare(
    post_id: PostId,
    runtime: AppRuntime,
    queue: TaskQueue,
    sent: Annotated[Submitted[ReshareFields], form_with(Role.EDITOR, ReshareFields)],
) -> Response:
    text = sent.fields.text.replace("\r\n", "\n") or None
    post = await run_in_threadpool(
        actions.add_post, runtime, queue, sent.who, "", None, text, None, post_id
    )
    return back_to(f"/posts/{post.id}", "added")
