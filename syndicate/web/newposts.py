"""POST /api/articles/{id}/posts and /api/posts/{id}/reshare: posts a person adds."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from syndicate.moments import Moment
from syndicate.web import actions
from syndicate.web.api import PostOut
from syndicate.web.auth import Editor
from syndicate.web.deps import AppRuntime, TaskQueue
from syndicate.web.params import PostId

router = APIRouter(prefix="/api", tags=["api"])


class NewPostIn(BaseModel):
    channel: str = Field(max_length=63, description="the name of an active channel")
    text: str | None = Field(
        default=None,
        max_length=100_000,
        description="the post as written; left out, it is composed afresh from the template",
    )
    scheduled_at: Moment | None = Field(default=None, description="when it goes out, once approved")


class ReshareIn(BaseModel):
    text: str | None = Field(default=None, max_length=100_000, description="fresh copy")
    scheduled_at: Moment | None = None


@router.post("/articles/{article_id}/posts", response_model=PostOut, status_code=201)
async def add_post(
    article_id: str, payload: NewPostIn, runtime: AppRuntime, queue: TaskQueue, who: Editor
) -> PostOut:
    """A new post of the article on a channel, beside the one composed for it; reviewed like
    any other (unless the channel approves on its own)."""
    post = await run_in_threadpool(
        actions.add_post,
        runtime,
        queue,
        who,
        article_id,
        payload.channel,
        payload.text,
        payload.scheduled_at,
    )
    return PostOut.of(post)


@router.post("/posts/{post_id}/reshare", response_model=PostOut, status_code=201)
async def reshare(
    post_id: PostId, runtime: AppRuntime, queue: TaskQueue, who: Editor, payload: ReshareIn
) -> PostOut:
    """Share a sent post's article again on its channel, as a new post with fresh copy."""
    post = await run_in_threadpool(
        actions.add_post, runtime, queue, who, "", None, payload.text, payload.scheduled_at, post_id
    )
    return PostOut.of(post)
