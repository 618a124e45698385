"""Posts a person adds beside the composed one: an extra post for any article and channel, and
a re-share of a sent post later with fresh copy. They are reviewed like any other post and
never recomposed when the article changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndicate import channelrules, routing
from syndicate.adapters import adapter
from syndicate.compose import compose
from syndicate.config import SyndicateConfig
from syndicate.models import Article, ArticleStatus, Post, PostStatus
from syndicate.preview import preview
from syndicate.templating import Templates


class ExtraPostRefused(Exception):
    """The post cannot be added; the message says why. `status` is the HTTP status it means."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def add_post(
    session: Session,
    article_id: str,
    channel_name: str,
    text: str | None,
    scheduled_at: datetime | None,
    config: SyndicateConfig,
    templates: Templates,
    now: datetime,
) -> Post:
    """A new post of the article on the channel: `text` as written (made safe for the
    platform; EditRefused if it cannot be), or else freshly composed from the template."""
    article = session.scalars(
        select(Article).where(Article.id == article_id).with_for_update()
    ).one_or_none()
    if article is None:
        raise ExtraPostRefused(f"no article {article_id!r}", 404)
    if article.status != ArticleStatus.PUBLISHED:
        raise ExtraPostRefused("the article is not published: it can have no new posts")
    channel = config.channel(channel_name)
    if channel is None or not channel.enabled:
        raise ExtraPostRefused(f"no active channel {channel_name!r}", 422)
    platform = adapter(channel)
    written = text is not None
    if text is not None:
        if not text.strip():
            raise ExtraPostRefused("the text is empty: write the post, or leave it out", 422)
        text = platform.edited_text(text)
    else:
        text = compose(article, channel, platform, templates).draft.text
    checked = preview(article, channel, templates, text)
    last = session.scalar(
        select(func.max(Post.sequence)).where(
            Post.article_id == article.id, Post.channel == channel.name
        )
    )
    rules = channelrules.rules_of(session, channel)
    post = Post(
        article=article,
        channel=channel.name,
        sequence=(last or 0) + 1,
        platform=channel.platform,
        revision=article.revision,
        template="",
        text=checked.text,
        link=checked.extras.get("article", {}).get("url", article.url),
        extras=checked.extras,
        edited=written,
        scheduled_at=scheduled_at,
        problem="; ".join(checked.problems),
        created_at=now,
        updated_at=now,
    )
    if checked.problems:
        post.status = PostStatus.INVALID
    elif channel.auto_approve or routing.fast_tracked(rules, article):
        post.status, post.approved_revision = PostStatus.APPROVED, article.revision
    else:
        post.status = PostStatus.PENDING_REVIEW
    session.add(post)
    session.flush()
    return post


def reshare(
    session: Session,
    post_id: int,
    text: str | None,
    scheduled_at: datetime | None,
    config: SyndicateConfig,
    templates: Templates,
    now: datetime,
) -> Post:
    """Share a sent post's article again on its channel, as a new post."""
    sent = session.get(Post, post_id)
    if sent is None:
        raise ExtraPostRefused(f"no post {post_id}", 404)
    if sent.status != PostStatus.SENT:
        raise ExtraPostRefused(f"only a sent post can be shared again; this one is {sent.status}")
    return add_post(
        session, sent.article_id, sent.channel, text, scheduled_at, config, templates, now
    )
