"""Rebuild the feeds an article belongs to, from the database, and store the bytes.

One change runs in short transactions: first the article's memberships are brought up to date
and every affected scope's generation is bumped; then each scope is rendered once if no other
rebuild has rendered that generation already. A burst of articles therefore costs a handful of
rebuilds, and a rebuild reads only the newest items of a scope through an index, whatever the
number of articles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from syndicate.config import SiteConfig
from syndicate.db import insert_ignoring_conflicts
from syndicate.feeds import jsonfeed, store, xml
from syndicate.feeds.model import FeedItem, FeedMeta, feed_item
from syndicate.feeds.scopes import FORMATS, SITE, document_key, scopes_of
from syndicate.models import Article, Feed, FeedArchive, FeedMembership

WRITERS: dict[str, Callable[[FeedMeta, list[FeedItem]], bytes]] = {
    "rss.xml": xml.rss,
    "atom.xml": xml.atom,
    "feed.json": jsonfeed.jsonfeed,
}
KIND_LABEL = {"tag": "Tagged", "author": "By", "section": "In"}


@dataclass(frozen=True)
class FeedSettings:
    base_url: str
    items: int


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild changed: the URLs of current feeds whose bytes moved."""

    feed_urls: list[str]


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


def update_memberships(
    session: Session, article_id: str, site: SiteConfig, now: datetime
) -> tuple[list[str], list[tuple[str, str]], int]:
    """Bring the article's scopes up to date; return affected scopes, archive months, version."""
    article = session.scalars(
        select(Article).where(Article.id == article_id).with_for_update()
    ).one_or_none()
    if article is None:
        return [], [], 0
    old = {
        m.scope: m.published_at
        for m in session.scalars(
            select(FeedMembership).where(FeedMembership.article_id == article_id)
        )
    }
    new = scopes_of(article, site.title)
    wanted = {s.key: article.published_at for s in new}
    stale = [scope for scope, when in old.items() if wanted.get(scope) != when]
    if stale:
        session.execute(
            delete(FeedMembership).where(
                FeedMembership.article_id == article_id, FeedMembership.scope.in_(stale)
            )
        )
    missing = [s for s in new if old.get(s.key) != article.published_at]
    insert_ignoring_conflicts(
        session,
        FeedMembership,
        [
            {"scope": s.key, "article_id": article_id, "published_at": article.published_at}
            for s in missing
        ],
    )
    insert_ignoring_conflicts(
        session,
        Feed,
        [{"scope": s.key, "kind": s.kind, "name": s.name, "updated_at": now} for s in new],
    )
    affected = sorted(set(old) | set(wanted))
    months = {month_of(when) for when in old.values()} | {month_of(w) for w in wanted.values()}
    archives = sorted((scope, month) for scope in affected for month in months)
    _bump(session, affected, archives, now)
    return affected, archives, article.version


def _bump(
    session: Session, scopes: list[str], archives: list[tuple[str, str]], now: datetime
) -> None:
    # One row at a time in sorted order: concurrent rebuilds lock rows in the same order.
    for scope in sorted(scopes):
        session.execute(
            update(Feed)
            .where(Feed.scope == scope)
            .values(generation=Feed.generation + 1, updated_at=now)
        )
    insert_ignoring_conflicts(
        session, FeedArchive, [{"scope": s, "month": m, "generation": 0} for s, m in archives]
    )
    for scope, month in sorted(archives):
        _bump_archive(session, scope, month)


def _items_query(scope: str) -> object:
    return (
        select(Article)
        .join(FeedMembership, FeedMembership.article_id == Article.id)
        .where(FeedMembership.scope == scope)
        .order_by(FeedMembership.published_at.desc(), Article.id)
    )


def _newest_before(session: Session, scope: str, before: datetime | None) -> str | None:
    query = select(func.max(FeedMembership.published_at)).where(FeedMembership.scope == scope)
    if before is not None:
        query = query.where(FeedMembership.published_at < before)
    newest = session.scalar(query)
    return month_of(newest) if newest else None


def _oldest_from(session: Session, scope: str, start: datetime) -> str | None:
    oldest = session.scalar(
        select(func.min(FeedMembership.published_at)).where(
            FeedMembership.scope == scope, FeedMembership.published_at >= start
        )
    )
    return month_of(oldest) if oldest else None


class ScopeRenderer:
    """Renders one scope's documents in every format."""

    def __init__(self, session: Session, site: SiteConfig, settings: FeedSettings) -> None:
        self.session = session
        self.site = site
        self.settings = settings

    def url(self, scope: str, filename: str, month: str | None = None) -> str:
        return f"{self.settings.base_url}/feeds/{document_key(scope, filename, month)}"

    def meta(
        self,
        feed: Feed,
        filename: str,
        articles: list[Article],
        links: dict[str, str],
        month: str | None = None,
    ) -> FeedMeta:
        site = self.site
        if feed.scope == SITE:
            title, description = site.title, site.description
        else:
            title = f"{site.title}: {feed.name}"
            description = f"{KIND_LABEL[feed.kind]} {feed.name}, from {site.title}"
        if month:
            title = f"{title} ({month})"
        return FeedMeta(
            title=title,
            description=description or title,
            language=site.language,
            site_url=site.link or self.settings.base_url + "/",
            self_url=self.url(feed.scope, filename, month),
            updated=max((a.changed_at for a in articles), default=feed.updated_at),
            hubs=tuple(site.websub_hubs),
            icon=site.icon,
            logo=site.logo,
            links=links,
            archive=month is not None,
        )

    def write(
        self,
        feed: Feed,
        articles: list[Article],
        links: dict[str, dict[str, str]],
        month: str | None = None,
    ) -> list[str]:
        items = [feed_item(self.settings.base_url, a) for a in articles]
        changed = []
        for filename, writer in WRITERS.items():
            meta = self.meta(feed, filename, articles, links[filename], month)
            body = writer(meta, items)
            key = document_key(feed.scope, filename, month)
            if store.save(self.session, key, FORMATS[filename], body, meta.updated):
                changed.append(meta.self_url)
        return changed

    def current(self, feed: Feed) -> list[str]:
        query = _items_query(feed.scope).limit(self.settings.items)  # type: ignore[attr-defined]
        articles = list(self.session.scalars(query))
        newest_month = _newest_before(self.session, feed.scope, None)
        links = {
            f: {
                "prev-archive": self.url(feed.scope, f, newest_month),
                "next": self.url(feed.scope, f, newest_month),
            }
            if newest_month
            else {}
            for f in FORMATS
        }
        return self.write(feed, articles, links)

    def archive(self, feed: Feed, month: str, older: str | None, newer: str | None) -> None:
        start, end = month_bounds(month)
        query = _items_query(feed.scope).where(  # type: ignore[attr-defined]
            FeedMembership.published_at >= start, FeedMembership.published_at < end
        )
        articles = list(self.session.scalars(query))
        links = {}
        for f in FORMATS:
            links[f] = {"current": self.url(feed.scope, f)}
            if older:
                links[f]["prev-archive"] = links[f]["next"] = self.url(feed.scope, f, older)
            if newer:
                links[f]["next-archive"] = links[f]["previous"] = self.url(feed.scope, f, newer)
        self.write(feed, articles, links, month)


def rebuild_scope(
    session: Session, scope: str, site: SiteConfig, settings: FeedSettings
) -> list[str]:
    """Render a scope's current documents unless its latest generation is already rendered."""
    feed = session.scalars(select(Feed).where(Feed.scope == scope).with_for_update()).one_or_none()
    if feed is None or feed.built_generation >= feed.generation:
        return []
    generation = feed.generation
    changed = ScopeRenderer(session, site, settings).current(feed)
    feed.built_generation = generation
    return changed


def neighbours(session: Session, scope: str, month: str) -> tuple[str | None, str | None]:
    """The nearest older and newer months of the scope that hold any item."""
    start, end = month_bounds(month)
    return _newest_before(session, scope, start), _oldest_from(session, scope, end)


def rebuild_archive(
    session: Session, scope: str, month: str, site: SiteConfig, settings: FeedSettings
) -> list[tuple[str, str]]:
    """Render one month of a scope; return the months beside it whose links are now wrong."""
    archive = session.scalars(
        select(FeedArchive)
        .where(FeedArchive.scope == scope, FeedArchive.month == month)
        .with_for_update()
    ).one_or_none()
    feed = session.get(Feed, scope)
    if archive is None or feed is None or archive.built_generation >= archive.generation:
        return []
    older, newer = neighbours(session, scope, month)
    ScopeRenderer(session, site, settings).archive(feed, month, older, newer)
    archive.built_generation = archive.generation
    archive.older, archive.newer = older, newer
    # A month that gained its first item or lost its last changes what its neighbours link to.
    wrong = []
    for side in (older, newer):
        if side is None:
            continue
        other = session.get(FeedArchive, (scope, side))
        if other is not None and (other.older, other.newer) != neighbours(session, scope, side):
            wrong.append((scope, side))
    return wrong


def _bump_archive(session: Session, scope: str, month: str) -> None:
    session.execute(
        update(FeedArchive)
        .where(FeedArchive.scope == scope, FeedArchive.month == month)
        .values(generation=FeedArchive.generation + 1)
    )


def rebuild_for_article(
    factory: sessionmaker[Session],
    article_id: str,
    site: SiteConfig,
    settings: FeedSettings,
    now: datetime,
) -> Rebuilt:
    """Everything one article's change needs in the feeds, in short transactions."""
    with factory.begin() as session:
        scopes, archives, version = update_memberships(session, article_id, site, now)
    changed: list[str] = []
    for scope in scopes:
        with factory.begin() as session:
            changed += rebuild_scope(session, scope, site, settings)
    pending = list(archives)
    for _ in range(len(archives) * 3):  # each month can set at most its two neighbours right
        if not pending:
            break
        scope, month = pending.pop(0)
        with factory.begin() as session:
            wrong = rebuild_archive(session, scope, month, site, settings)
        for neighbour in wrong:
            # Bumped in a transaction of its own: never two archive locks held at once.
            with factory.begin() as session:
                _bump_archive(session, *neighbour)
            pending.append(neighbour)
    with factory.begin() as session:
        session.execute(
            update(Article)
            .where(Article.id == article_id, Article.feeds_version < version)
            .values(feeds_version=version)
        )
    return Rebuilt(feed_urls=changed)
