"""Rebuild the feeds an article belongs to, from the database, and store the bytes.

One change runs in short transactions. First the article's memberships are brought up to date
and every affected scope's generation is bumped. Then each scope is rendered, unless another
rebuild has already rendered that generation, so a burst of articles costs a handful of
rebuilds. A rebuild reads only the newest items of a scope through an index, whatever the
number of articles.

History (RFC 5005): every article entering a scope takes the scope's next sequence number,
and archive page k holds numbers (k-1)·P+1 … k·P. A page becomes an archive document once it
is full, and afterwards changes only when one of its own articles does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session, defer, sessionmaker

from syndicate.config import SiteConfig
from syndicate.db import insert_ignoring_conflicts, one_connection
from syndicate.feeds import jsonfeed, store, xml
from syndicate.feeds.content import safe_html
from syndicate.feeds.export import FeedExport
from syndicate.feeds.model import (
    FeedItem,
    FeedMeta,
    article_guid,
    cached_feed_item,
    feed_item,
)
from syndicate.feeds.scopes import FORMATS, SITE, Scope, document_key, scopes_of
from syndicate.feeds.turns import RebuildTurns
from syndicate.models import (
    Article,
    ArticleStatus,
    Feed,
    FeedArchive,
    FeedMembership,
    FeedTombstone,
    utcnow,
)
from syndicate.sitesource import SiteSource, site_in

WRITERS: dict[str, Callable[[FeedMeta, list[FeedItem]], bytes]] = {
    "rss.xml": xml.rss,
    "atom.xml": xml.atom,
    "feed.json": jsonfeed.jsonfeed,
}
KIND_LABEL = {"tag": "Tagged", "author": "By", "section": "In"}
# How long an unpublished article's entry is announced as deleted in the Atom feeds it was in.
TOMBSTONE_DAYS = 30


@dataclass(frozen=True)
class FeedSettings:
    base_url: str
    items: int
    archive_page_size: int = 100
    # Where stored feeds are also written as static files (SYNDICATE_FEED_EXPORT_DIR).
    export_dir: Path | None = None


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild changed: the URLs of current feeds whose bytes moved."""

    feed_urls: list[str]


@dataclass(frozen=True)
class RebuiltAll:
    feeds: int
    archive_pages: int
    feed_urls: list[str]


def page_of(seq: int, size: int) -> int:
    return (seq - 1) // size + 1


def full_pages(feed: Feed, size: int) -> int:
    return feed.last_seq // size


@dataclass
class Change:
    """What one article's change touches: scopes to re-render, archive pages to re-render."""

    scopes: list[str]
    pages: set[tuple[str, int]]
    version: int


def update_memberships(
    session: Session,
    article_id: str,
    site: SiteConfig,
    page_size: int,
    now: datetime,
    base_url: str,
) -> Change:
    """Bring the article's memberships up to date and mark what must be rendered again."""
    changes = update_memberships_of(session, [article_id], site, page_size, now, base_url)
    return changes.get(article_id, Change([], set(), 0))


def update_memberships_of(
    session: Session,
    article_ids: list[str],
    site: SiteConfig,
    page_size: int,
    now: datetime,
    base_url: str,
) -> dict[str, Change]:
    """`update_memberships` for several articles in one transaction, in the order given (their
    places in each feed follow it); each feed row is locked and read once for all of them."""
    # Articles, then feeds, each locked in key order: as webhook batches lock articles, and
    # as any other rebuild does, so that they wait for each other rather than deadlock.
    found = session.scalars(
        select(Article)
        .where(Article.id.in_(sorted(set(article_ids))))
        .order_by(Article.id)
        .with_for_update()
    )
    articles = {article.id: article for article in found}
    old: dict[str, dict[str, FeedMembership]] = {article_id: {} for article_id in articles}
    for membership in session.scalars(
        select(FeedMembership).where(FeedMembership.article_id.in_(list(articles)))
    ):
        old[membership.article_id][membership.scope] = membership
    wanted = {
        article_id: {s.key: s for s in scopes_of(article, site.title)}
        for article_id, article in articles.items()
    }
    new_feeds = {
        key: {"scope": key, "kind": s.kind, "name": s.name, "updated_at": now}
        for article_id, scopes in wanted.items()
        for key, s in scopes.items()
        if key not in old[article_id]
    }
    insert_ignoring_conflicts(session, Feed, list(new_feeds.values()))
    every_scope = sorted({key for a in articles for key in (*old[a], *wanted[a])})
    feeds = {
        feed.scope: feed
        for feed in session.scalars(
            select(Feed).where(Feed.scope.in_(every_scope)).order_by(Feed.scope).with_for_update()
        )
    }
    tombstoned: dict[str, set[str]] = {}
    for article_id, scope in session.execute(
        select(FeedTombstone.article_id, FeedTombstone.scope).where(
            FeedTombstone.article_id.in_(list(articles))
        )
    ):
        tombstoned.setdefault(article_id, set()).add(scope)
    pages: set[tuple[str, int]] = set()
    changes: dict[str, Change] = {}
    for article_id in dict.fromkeys(article_ids):
        article = articles.get(article_id)
        if article is None:
            continue
        scopes, touched = _place(
            session,
            article,
            old[article_id],
            wanted[article_id],
            feeds,
            tombstoned.get(article_id, set()),
            page_size,
            now,
            base_url,
        )
        changes[article_id] = Change(scopes, touched, article.version)
        pages.update(touched)
    for scope, page in sorted(pages):
        insert_ignoring_conflicts(session, FeedArchive, [{"scope": scope, "page": page}])
        session.execute(
            update(FeedArchive)
            .where(FeedArchive.scope == scope, FeedArchive.page == page)
            .values(generation=FeedArchive.generation + 1)
        )
    return changes


def _place(
    session: Session,
    article: Article,
    old: dict[str, FeedMembership],
    wanted: dict[str, Scope],
    feeds: dict[str, Feed],
    tombstoned: set[str],
    page_size: int,
    now: datetime,
    base_url: str,
) -> tuple[list[str], set[tuple[str, int]]]:
    """The article's memberships as its scopes now say: the scopes it is or was in, and the
    archive pages that changed. `tombstoned`: the scopes that mark it deleted."""
    if article.feed_html is None:
        article.feed_html = safe_html(article.content_html, article.url)
    scopes = sorted(set(old) | set(wanted))
    pages: set[tuple[str, int]] = set()
    entering: list[str] = []
    for scope in scopes:
        feed = feeds[scope]
        membership = old.get(scope)
        if membership is not None:
            page = page_of(membership.seq, page_size)
            if page <= full_pages(feed, page_size):
                pages.add((scope, page))
            if scope in wanted:
                membership.published_at = article.published_at
            else:
                session.delete(membership)
                if article.status == ArticleStatus.UNPUBLISHED:
                    session.merge(
                        FeedTombstone(
                            scope=scope,
                            article_id=article.id,
                            entry_id=article_guid(base_url, article.id),
                            deleted_at=now,
                        )
                    )
        else:
            entering.append(scope)
            feed.last_seq += 1
            session.add(
                FeedMembership(
                    scope=scope,
                    article_id=article.id,
                    published_at=article.published_at,
                    seq=feed.last_seq,
                )
            )
            if feed.last_seq % page_size == 0:  # a page just filled up: it becomes an archive
                page = feed.last_seq // page_size
                pages.update({(scope, page), (scope, page - 1)} if page > 1 else {(scope, page)})
        feed.generation += 1
        feed.updated_at = now
    back = [scope for scope in entering if scope in tombstoned]
    if back:
        # Back in scopes it left when it was unpublished: those forget it was deleted.
        session.execute(
            delete(FeedTombstone).where(
                FeedTombstone.article_id == article.id, FeedTombstone.scope.in_(back)
            )
        )
    return scopes, pages


class ScopeRenderer:
    """Renders one scope's documents in every format."""

    def __init__(self, session: Session, site: SiteConfig, settings: FeedSettings) -> None:
        self.session = session
        self.site = site
        self.settings = settings
        self.export = FeedExport(settings.export_dir) if settings.export_dir else None

    def url(self, scope: str, filename: str, page: int | None = None) -> str:
        return f"{self.settings.base_url}/feeds/{document_key(scope, filename, page)}"

    def meta(
        self,
        feed: Feed,
        filename: str,
        updated: datetime,
        links: dict[str, str],
        page: int | None,
        tombstones: tuple[tuple[str, datetime], ...] = (),
    ) -> FeedMeta:
        site = self.site
        if feed.scope == SITE:
            title, description = site.title, site.description
        else:
            title = f"{site.title}: {feed.name}"
            description = f"{KIND_LABEL[feed.kind]} {feed.name}, from {site.title}"
        if page is not None:
            title = f"{title} (archive page {page})"
        return FeedMeta(
            title=title,
            description=description or title,
            language=site.language,
            site_url=site.link or self.settings.base_url + "/",
            self_url=self.url(feed.scope, filename, page),
            updated=updated,
            hubs=tuple(site.websub_hubs),
            icon=site.icon,
            logo=site.logo,
            links=links,
            archive=page is not None,
            tombstones=tombstones,
        )

    def write(
        self,
        feed: Feed,
        items: list[FeedItem],
        updated: datetime,
        relations: dict[str, int | None],
        page: int | None = None,
        tombstones: tuple[tuple[str, datetime], ...] = (),
    ) -> list[str]:
        """Write every format; `relations` maps link relations to pages (None: current), and
        `tombstones` go in the Atom document only (RFC 6721 is Atom's)."""
        documents, urls = [], {}
        for filename, writer in WRITERS.items():
            links = {rel: self.url(feed.scope, filename, p) for rel, p in relations.items()}
            gone = tombstones if filename == "atom.xml" else ()
            meta = self.meta(feed, filename, updated, links, page, gone)
            key = document_key(feed.scope, filename, page)
            documents.append(store.Document(key, FORMATS[filename], writer(meta, items), updated))
            urls[key] = meta.self_url
        changed = store.save_many(self.session, documents)
        if self.export is not None:
            for doc in documents:
                if doc.key in changed:
                    self.export.write(doc.key, doc.body, doc.body_gzip, doc.modified)
        return [url for key, url in urls.items() if key in changed]

    def _newest(self, scope: str) -> Select[str, int, datetime]:
        """A scope's articles, newest first, as (id, version, changed_at)."""
        return (
            select(Article.id, Article.version, Article.changed_at)
            .join(FeedMembership, FeedMembership.article_id == Article.id)
            .where(FeedMembership.scope == scope)
            .order_by(FeedMembership.published_at.desc(), Article.id)
        )

    def _items(
        self, feed: Feed, listing: Select[str, int, datetime]
    ) -> tuple[list[FeedItem], datetime]:
        """A scope's items, in order, and when the newest change among them was. Only the
        versions not built before are read in full: the others are already in memory."""
        base_url = self.settings.base_url
        rows = self.session.execute(listing).all()
        listed = [(row[0], cached_feed_item(base_url, *row)) for row in rows]
        updated = max((row[2] for row in rows), default=feed.updated_at)
        missing = [article_id for article_id, item in listed if item is None]
        built: dict[str, FeedItem] = {}
        if missing:
            # The raw HTML is read only for an article whose safe copy is missing.
            query = select(Article).options(defer(Article.content_html))
            for article in self.session.scalars(query.where(Article.id.in_(missing))):
                built[article.id] = feed_item(base_url, article)
        items = [item or built.get(article_id) for article_id, item in listed]
        return [item for item in items if item is not None], updated

    def current(self, feed: Feed) -> list[str]:
        items, updated = self._items(feed, self._newest(feed.scope).limit(self.settings.items))
        newest = full_pages(feed, self.settings.archive_page_size)
        relations: dict[str, int | None] = (
            {"prev-archive": newest, "next": newest} if newest else {}
        )
        tombstones = self._tombstones(feed.scope)
        if tombstones:  # the feed changed when an entry left it
            updated = max(updated, tombstones[0][1])
        return self.write(feed, items, updated, relations, tombstones=tombstones)

    def _tombstones(self, scope: str) -> tuple[tuple[str, datetime], ...]:
        since = utcnow() - timedelta(days=TOMBSTONE_DAYS)
        rows = self.session.execute(
            select(FeedTombstone.entry_id, FeedTombstone.deleted_at)
            .where(FeedTombstone.scope == scope, FeedTombstone.deleted_at >= since)
            .order_by(FeedTombstone.deleted_at.desc(), FeedTombstone.entry_id)
            .limit(self.settings.items)
        )
        return tuple((entry_id, deleted_at) for entry_id, deleted_at in rows)

    def archive(self, feed: Feed, page: int) -> None:
        size = self.settings.archive_page_size
        listed = self._newest(feed.scope).where(
            FeedMembership.seq > (page - 1) * size, FeedMembership.seq <= page * size
        )
        relations: dict[str, int | None] = {"current": None}
        if page > 1:
            relations["prev-archive"] = relations["next"] = page - 1
        if page < full_pages(feed, size):
            relations["next-archive"] = relations["previous"] = page + 1
        items, updated = self._items(feed, listed)
        self.write(feed, items, updated, relations, page)


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


def rebuild_archive(
    session: Session, scope: str, page: int, site: SiteConfig, settings: FeedSettings
) -> None:
    archive = session.scalars(
        select(FeedArchive)
        .where(FeedArchive.scope == scope, FeedArchive.page == page)
        .with_for_update()
    ).one_or_none()
    feed = session.get(Feed, scope)
    if archive is None or feed is None or archive.built_generation >= archive.generation:
        return
    generation = archive.generation
    ScopeRenderer(session, site, settings).archive(feed, page)
    archive.built_generation = generation


# In a burst, how many articles still waiting for their feeds one rebuild takes along.
BATCH = 50


def rebuild_for_article(
    factory: sessionmaker[Session],
    article_id: str,
    site: SiteSource,
    settings: FeedSettings,
    now: datetime,
    batch: int = BATCH,
    current_stored: Callable[[list[str]], None] | None = None,
    along: Sequence[str] = (),
) -> Rebuilt:
    """Everything one article's change needs in the feeds, in short transactions.

    The articles `along` with it (changed by the same batch of webhooks) come first, then
    others whose feeds are still behind (up to `batch` in all), so in a burst each scope is
    rendered once for all of them instead of once each; their own tasks, if any, then find
    their feeds caught up and do nothing.

    The current feeds come first, and `current_stored` is called with the URLs of those that
    changed as soon as they are stored, so that readers and hubs can hear of them while the
    archive pages that filled up are rendered.

    Rebuilds take turns (feeds.turns): one that finds the turn taken returns at once, and the
    one that has it goes on, a batch at a time, until no article is behind.
    """
    targets = [article_id, *along]
    with one_connection(factory) as shared:
        turns = RebuildTurns(shared)
        if not turns.kept:
            the_site = _site_of(site, shared)
            rebuilt, _ = _rebuild(shared, targets, the_site, settings, now, batch, current_stored)
            return rebuilt
        changed: list[str] = []
        done: set[tuple[str, int]] = set()
        while targets and turns.take():
            try:
                the_site = _site_of(site, shared)
                while targets:
                    rebuilt, versions = _rebuild(
                        shared, targets, the_site, settings, now, batch, current_stored
                    )
                    changed += rebuilt.feed_urls
                    done |= versions
                    targets = _next_behind(shared, done)
            finally:
                turns.give_back()
            # An article whose own rebuild found the turn taken just before it was given back.
            targets = _next_behind(shared, done)
        return Rebuilt(feed_urls=changed)


def _site_of(site: SiteSource, factory: sessionmaker[Session]) -> SiteConfig:
    """The site's details, read only by a rebuild that has the turn."""
    with factory() as session:
        return site_in(site, session)


def _next_behind(factory: sessionmaker[Session], done: set[tuple[str, int]]) -> list[str]:
    """The longest-waiting article whose feeds are behind, unless it was rebuilt at its
    version already (then nothing more can be done for it now, and the sweeper retries)."""
    with factory() as session:
        row = session.execute(
            select(Article.id, Article.version)
            .where(Article.feeds_version < Article.version)
            .order_by(Article.changed_at)
            .limit(1)
        ).first()
    if row is None or (row.id, row.version) in done:
        return []
    return [str(row.id)]


def _rebuild(
    factory: sessionmaker[Session],
    article_ids: list[str],
    site: SiteConfig,
    settings: FeedSettings,
    now: datetime,
    batch: int,
    current_stored: Callable[[list[str]], None] | None,
) -> tuple[Rebuilt, set[tuple[str, int]]]:
    """One batch: the articles and others waiting; the feeds that changed, and the articles
    rebuilt with the version each was rebuilt at."""
    with factory() as session:
        waiting = _waiting(session, article_ids, batch)
    with factory.begin() as session:
        changes = list(
            update_memberships_of(
                session, waiting, site, settings.archive_page_size, now, settings.base_url
            ).items()
        )
    changed: list[str] = []
    scopes = sorted({scope for _, change in changes for scope in change.scopes})
    for scope in scopes:
        with factory.begin() as session:
            changed += rebuild_scope(session, scope, site, settings)
    if current_stored is not None:
        current_stored(changed)
    with factory() as session:
        pages = _pending_pages(session, scopes)
    for scope, page in pages:
        with factory.begin() as session:
            rebuild_archive(session, scope, page, site, settings)
    # Last, so that work left undone by a worker that stopped is found again (see sweeper).
    with factory.begin() as session:
        for waiting_id, change in changes:
            session.execute(
                update(Article)
                .where(Article.id == waiting_id, Article.feeds_version < change.version)
                .values(feeds_version=change.version)
            )
    return Rebuilt(feed_urls=changed), {(i, change.version) for i, change in changes}


def _pending_pages(session: Session, scopes: list[str]) -> list[tuple[str, int]]:
    """The archive pages of these scopes that changed since they were last rendered: those
    this change filled or altered, and any an earlier rebuild was stopped before rendering."""
    if not scopes:
        return []
    rows = session.execute(
        select(FeedArchive.scope, FeedArchive.page)
        .where(
            FeedArchive.scope.in_(scopes),
            FeedArchive.built_generation < FeedArchive.generation,
        )
        .order_by(FeedArchive.scope, FeedArchive.page)
    )
    return [(scope, page) for scope, page in rows]


def _waiting(session: Session, article_ids: list[str], batch: int) -> list[str]:
    """Those of the articles whose feeds are behind, if any is, and the longest-waiting others
    that are too, up to `batch` in all."""
    behind = Article.feeds_version < Article.version
    given = article_ids[:batch]
    found = set(session.scalars(select(Article.id).where(Article.id.in_(given), behind)))
    if not found:
        return []
    others = session.scalars(
        select(Article.id)
        .where(behind, Article.id.not_in(given))
        .order_by(Article.changed_at)
        .limit(batch - len(found))
    )
    return [*(article_id for article_id in given if article_id in found), *others]


def rebuild_all(
    factory: sessionmaker[Session],
    site: SiteConfig,
    settings: FeedSettings,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] = lambda items, label: items,
) -> RebuiltAll:
    """Render every feed and archive page again, as after the site's details or the
    templates changed; each in its own short transaction."""
    with factory.begin() as session:
        session.execute(update(Feed).values(generation=Feed.generation + 1))
        session.execute(update(FeedArchive).values(generation=FeedArchive.generation + 1))
        scopes = list(session.scalars(select(Feed.scope).order_by(Feed.scope)))
        pages = [(s, p) for s, p in session.execute(select(FeedArchive.scope, FeedArchive.page))]
    changed: list[str] = []
    for scope in progress(scopes, "feeds"):
        with factory.begin() as session:
            changed += rebuild_scope(session, scope, site, settings)
    for scope, page in progress(pages, "archive pages"):
        with factory.begin() as session:
            rebuild_archive(session, scope, page, site, settings)
    return RebuiltAll(len(scopes), len(pages), changed)
