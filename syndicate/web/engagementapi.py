"""GET /api/posts/{id}/engagement and /api/articles/{id}/engagement: what posts earned."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from syndicate import engagement
from syndicate.activitypub import reactions
from syndicate.models import Article, Engagement, Post
from syndicate.share.counts import share_counts
from syndicate.web.auth import Viewer
from syndicate.web.deps import DbSession
from syndicate.web.errors import ApiError
from syndicate.web.params import PostId

router = APIRouter(prefix="/api", tags=["api"])


class CheckpointOut(BaseModel):
    checkpoint: str
    likes: int | None
    reposts: int | None
    replies: int | None
    quotes: int | None
    read_at: datetime | None


class PostEngagementOut(BaseModel):
    post_id: int
    channel: str
    platform: str
    checkpoints: list[CheckpointOut]


class ReplyOut(BaseModel):
    actor: str
    text: str
    url: str


class FediverseOut(BaseModel):
    """What the fediverse made of the article, where the site is on it."""

    likes: int
    announces: int
    replies: int
    recent_replies: list[ReplyOut]
    deliveries: dict[str, int]


class ArticleEngagementOut(BaseModel):
    article_id: str
    posts: list[PostEngagementOut]
    shares: dict[str, int]
    fediverse: FediverseOut


def _of(session: DbSession, post: Post) -> PostEngagementOut:
    rows: list[Engagement] = engagement.of_post(session, post.id)
    return PostEngagementOut(
        post_id=post.id,
        channel=post.channel,
        platform=post.platform,
        checkpoints=[CheckpointOut.model_validate(r, from_attributes=True) for r in rows],
    )


@router.get("/posts/{post_id}/engagement", response_model=PostEngagementOut)
def post_engagement(post_id: PostId, session: DbSession, who: Viewer) -> PostEngagementOut:
    """The post's likes, reposts, replies and quotes 1 h, 6 h, 24 h and 7 days after it went
    out, as far as those checkpoints have come and been read."""
    post = session.get(Post, post_id)
    if post is None:
        raise ApiError(404, f"no post {post_id}")
    return _of(session, post)


@router.get("/articles/{article_id}/engagement", response_model=ArticleEngagementOut)
def article_engagement(article_id: str, session: DbSession, who: Viewer) -> ArticleEngagementOut:
    """Each of the article's posts with its counts, and readers' share-button clicks."""
    if session.get(Article, article_id) is None:
        raise ApiError(404, f"no article {article_id!r}")
    posts = session.scalars(
        select(Post).where(Post.article_id == article_id).order_by(Post.channel, Post.sequence)
    )
    return ArticleEngagementOut(
        article_id=article_id,
        posts=[_of(session, post) for post in posts],
        shares=share_counts(session, article_id),
        fediverse=_fediverse(session, article_id),
    )


def _fediverse(session: DbSession, article_id: str) -> FediverseOut:
    found = reactions.of_article(session, article_id)
    return FediverseOut(
        likes=found.likes,
        announces=found.announces,
        replies=found.reply_count,
        recent_replies=[ReplyOut(actor=r.actor, text=r.text, url=r.url) for r in found.replies],
        deliveries=reactions.deliveries_of(session, article_id),
    )
