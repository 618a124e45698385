"""Compose one share post per channel from its template, and revise unsent posts on update."""

from __future__ import annotations

from datetime import datetime

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate.compose import CompositionError, compose, template_name
from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.models import Article, ArticleStatus, Post, PostStatus
from syndicate.platforms import get_platform
from syndicate.platforms.base import Draft, Platform
from syndicate.templating import Templates

REVISABLE = (PostStatus.PENDING_REVIEW, PostStatus.APPROVED, PostStatus.INVALID)


def adapter(channel: ChannelConfig, session: requests.Session | None = None) -> Platform:
    return get_platform(channel.platform)(channel, session or requests.Session())


def compose_posts(
    session: Session,
    article_id: str,
    config: SyndicateConfig,
    templates_dir: Templates,
    now: datetime,
) -> list[int]:
    """Create or revise the article's posts; return the ids now approved and due to send."""
    article = session.scalars(
        select(Article).where(Article.id == article_id).with_for_update()
    ).one_or_none()
    if article is None:
        return []
    if article.status == ArticleStatus.PUBLISHED:
        existing = {p.channel: p for p in article.posts}
        for channel in config.active_channels:
            post = existing.get(channel.name)
            if post is None:
                session.add(_new_post(article, channel, templates_dir, now))
            elif post.status in REVISABLE and post.revision != article.revision:
                _revise(post, article, channel, templates_dir)
    article.posts_version = article.version
    session.flush()
    return [
        p.id
        for p in article.posts
        if p.status == PostStatus.APPROVED and (p.scheduled_at is None or p.scheduled_at <= now)
    ]


def _new_post(
    article: Article, channel: ChannelConfig, templates_dir: Templates, now: datetime
) -> Post:
    post = Post(
        article=article,
        channel=channel.name,
        platform=channel.platform,
        created_at=now,
        updated_at=now,
    )
    _fill(post, article, channel, templates_dir)
    return post


def _revise(post: Post, article: Article, channel: ChannelConfig, templates_dir: Templates) -> None:
    if post.edited:
        # A reviewer's words are kept; the article moved on under them, so they look again.
        post.revision = article.revision
        post.status = PostStatus.PENDING_REVIEW
        post.problem = "the article changed after this post was edited: review it again"
        return
    _fill(post, article, channel, templates_dir)


def _fill(post: Post, article: Article, channel: ChannelConfig, templates_dir: Templates) -> None:
    try:
        composed = compose(article, channel, adapter(channel), templates_dir)
        draft, problems, template = composed.draft, composed.problems, composed.template
    except CompositionError as exc:
        draft = Draft(text="", link=article.url)
        problems, template = [str(exc)], template_name(channel)
    post.revision = article.revision
    post.template = template
    post.text = draft.text
    post.link = draft.link
    post.extras = draft.extras
    post.problem = "; ".join(problems)
    if problems:
        post.status = PostStatus.INVALID
    elif channel.auto_approve:
        post.status = PostStatus.APPROVED
    else:
        post.status = PostStatus.PENDING_REVIEW
