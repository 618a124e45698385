"""Compose one share post per channel from its template, and revise unsent posts on update."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate import channelrules, lifecycle, routing, syndication
from syndicate.adapters import adapter
from syndicate.cms import SyndicationIn
from syndicate.compose import CompositionError, compose, template_name
from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.models import (
    BODY_UNREAD,
    Article,
    ArticleStatus,
    Post,
    PostChange,
    PostStatus,
)
from syndicate.platforms.base import Draft
from syndicate.templating import Templates

REVISABLE = (PostStatus.PENDING_REVIEW, PostStatus.APPROVED, PostStatus.INVALID)
EXCLUDED = "excluded by "


@dataclass(frozen=True)
class PostWork:
    """What composing left to do: posts to send now, edits or deletes of sent posts (the ids
    of their `PostChange` rows), and whether any post was written or rewritten."""

    due: list[int] = field(default_factory=list)
    changes: list[int] = field(default_factory=list)
    composed: bool = False


def compose_posts(
    session: Session,
    article_id: str,
    config: SyndicateConfig,
    templates_dir: Templates,
    now: datetime,
) -> PostWork:
    """Create or revise the article's posts, and say which to send, edit or delete."""
    article = session.scalars(
        select(Article).options(*BODY_UNREAD).where(Article.id == article_id).with_for_update()
    ).one_or_none()
    if article is None:
        return PostWork()
    if not article.shareable:
        article.posts_version = article.version
        return PostWork()
    config = channelrules.effective(session, config)
    changes: list[PostChange | None] = []
    composed = False
    excluded: dict[str, str] = {}
    existing = {p.channel: p for p in article.posts if p.sequence == 0}
    controls = syndication.controls(article)
    for channel in config.active_channels:
        post = existing.get(channel.name)
        if article.status != ArticleStatus.PUBLISHED:
            if channel.delete_on_unpublish:
                for sent in article.posts:  # extra posts and re-shares go with it
                    if sent.channel == channel.name and sent.status == PostStatus.SENT:
                        changes.append(lifecycle.request_delete(session, sent, now))
        elif post is not None and post.revision == article.revision:
            if channel.name in article.excluded_from:
                excluded[channel.name] = article.excluded_from[channel.name]
        elif reason := _exclusion(controls, channel, article, now):
            excluded[channel.name] = reason
            if post is not None and post.status in REVISABLE:
                post.status, post.problem = PostStatus.CANCELLED, EXCLUDED + reason
                post.revision = article.revision
        elif post is None:
            session.add(_new_post(article, channel, templates_dir, now))
            composed = True
        elif post.status in REVISABLE or _excluded_before(post):
            _revise(post, article, channel, templates_dir)
            post.preflight = None  # the page it checked has changed
            composed = True
        elif _follows_article(post, channel) and _fill_sent(post, article, channel, templates_dir):
            changes.append(lifecycle.request_edit(session, post))
    if article.status == ArticleStatus.PUBLISHED:
        article.excluded_from = excluded
    article.posts_version = article.version
    session.flush()
    due = [
        p.id
        for p in article.posts
        if p.status == PostStatus.APPROVED and (p.scheduled_at is None or p.scheduled_at <= now)
    ]
    return PostWork(due, [c.id for c in changes if c is not None], composed)


def _exclusion(
    controls: SyndicationIn, channel: ChannelConfig, article: Article, now: datetime
) -> str | None:
    """Why the article gets no post on the channel: the CMS said so, or the channel's rules
    (unless the CMS named the channel itself); None when it does get one."""
    said = syndication.excluded_by(controls, channel.name)
    if said:
        return f"the CMS's {said}"
    if syndication.chosen(controls, channel.name):
        return None
    reason = routing.excluded_by(channel.rules, article, now)
    return f"the channel's {reason}" if reason else None


def _excluded_before(post: Post) -> bool:
    """A post cancelled because the channel's rules excluded its article, which may now fit."""
    return post.status == PostStatus.CANCELLED and post.problem.startswith(EXCLUDED)


def _follows_article(post: Post, channel: ChannelConfig) -> bool:
    """A sent post the platform is asked to edit when its article changes (unless a person
    wrote its text)."""
    return post.status == PostStatus.SENT and channel.edit_on_update and not post.edited


def _fill_sent(post: Post, article: Article, channel: ChannelConfig, templates: Templates) -> bool:
    """New text for a post already out, which the platform will be asked to edit; False when
    the new revision cannot be composed within the platform's limits."""
    try:
        composed = compose(article, channel, adapter(channel), templates)
    except CompositionError:
        return False
    if composed.problems:
        return False
    post.text, post.extras = composed.draft.text, composed.draft.extras
    post.revision = article.revision
    return True


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
    approved_by_a_person = post.status == PostStatus.APPROVED and post.approved_revision is not None
    if post.edited:
        # A reviewer's words are kept; the article moved on under them, so they look again.
        post.revision = article.revision
        post.status = PostStatus.PENDING_REVIEW
        post.problem = "the article changed after this post was edited: review it again"
    else:
        _fill(post, article, channel, templates_dir)
    if approved_by_a_person and post.status != PostStatus.APPROVED:
        # The approval was for the article as it was: withdrawn, and what changed is shown.
        post.approval_withdrawn = True
        if post.status == PostStatus.PENDING_REVIEW:
            post.problem = "the article changed after this post was approved: review the changes"


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
    elif channel.auto_approve or routing.fast_tracked(channel.rules, article):
        post.status = PostStatus.APPROVED
    else:
        post.status = PostStatus.PENDING_REVIEW
