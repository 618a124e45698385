"""The card check of posts: run for the post's platform, kept on the post, and, where the
channel asks, a reason to refuse its approval."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from syndicate import preflight
from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.fetch import GuardedFetcher
from syndicate.models import UNSENT_STATUSES, Article, Post
from syndicate.settings import Settings


def crawled_channels(config: SyndicateConfig) -> bool:
    """Whether any active channel's platform builds cards by crawling: else no check is run."""
    return any(preflight.checks_posts_on(c.platform) for c in config.active_channels)


def fetcher(settings: Settings) -> GuardedFetcher:
    """Article pages are fetched under the same address rules as article images."""
    return GuardedFetcher(settings.image_fetch_allow_private, settings.image_fetch_allowed_hosts())


def check_post(
    factory: sessionmaker[Session], post_id: int, fetcher: GuardedFetcher, now: datetime
) -> preflight.Report | None:
    """Check the post's card as its platform's crawler will build it, and keep the report;
    None where the platform does not crawl the article (or the post is gone)."""
    with factory() as session:
        found = session.execute(
            select(Post.platform, Article.url)
            .join(Article, Post.article_id == Article.id)
            .where(Post.id == post_id)
        ).one_or_none()
    if found is None or not found.url or not preflight.checks_posts_on(found.platform):
        return None
    report = preflight.check(found.url, found.platform, fetcher)  # the network: no session open
    with factory.begin() as session:
        post = session.get(Post, post_id)
        if post is not None:
            post.preflight, post.preflight_at = report.as_json(), now
    return report


def _checked_posts(article_id: str) -> Select[int]:
    return select(Post.id).where(
        Post.article_id == article_id,
        Post.status.in_(UNSENT_STATUSES),
        Post.platform.in_(sorted(preflight.CRAWLERS)),
    )


def check_article(
    factory: sessionmaker[Session], article_id: str, fetcher: GuardedFetcher, now: datetime
) -> list[int]:
    """Check every unsent post of the article whose platform crawls it; the ids checked."""
    with factory() as session:
        ids = list(session.scalars(_checked_posts(article_id)))
    return [post_id for post_id in ids if check_post(factory, post_id, fetcher, now)]


def due(session: Session, article_id: str) -> bool:
    """Whether the article's posts are to be checked now: it has posts a crawler will meet
    and its card is built. The card and the posts are made by tasks of their own, each writing
    under the article's row lock; each asks this in that same transaction, so the one that
    writes second sees the other's work and starts the check, once."""
    card_built = session.scalar(
        select(Article.card_version >= Article.version).where(Article.id == article_id)
    )
    return bool(card_built) and session.scalar(_checked_posts(article_id).limit(1)) is not None


def check_everywhere(url: str, fetcher: GuardedFetcher) -> list[preflight.Report]:
    """The article page as every crawler meets it, LinkedIn's too (readers share by hand and
    with the share buttons), a few crawlers at a time."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda name: preflight.check(url, name, fetcher), preflight.CRAWLERS))


def blocking(post: Post, channel: ChannelConfig | None) -> str | None:
    """Why the card check stops the post's approval, on a channel that lets it; else None."""
    if (
        channel is None
        or not channel.preflight_blocks
        or not preflight.checks_posts_on(post.platform)
    ):
        return None
    if post.preflight is None:
        return "the card check has not run yet: run it from the post's page"
    warnings = [str(w) for w in post.preflight.get("warnings") or []]
    if warnings:
        return "the card check found problems: " + "; ".join(warnings)
    return None
