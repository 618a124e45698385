"""A rebuild is many short transactions on one database connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import feedparser
import pytest
from sqlalchemy import event

from syndicate.articles import receive
from syndicate.cms import parse_generic
from syndicate.db import make_engine, make_session_factory
from syndicate.feeds.build import rebuild_for_article
from syndicate.migrate import upgrade
from syndicate.models import Article, FeedDocument, utcnow
from syndicate.runtime import Runtime
from tests.client import article, envelope


def test_a_rebuild_checks_out_one_connection_for_all_its_transactions(
    runtime: Runtime, database_url: str, clean: None
) -> None:
    event_in = parse_generic(envelope(article("one-conn", tags=["A", "B"])))
    receive(runtime.factory, event_in, utcnow())
    # An engine of its own: the shared one also serves the web app running in this process.
    engine = make_engine(database_url)
    checkouts: list[Any] = []
    commits: list[Any] = []

    def checked_out(*args: Any) -> None:
        checkouts.append(args)

    def committed(*args: Any) -> None:
        commits.append(args)

    event.listen(engine, "checkout", checked_out)
    event.listen(engine, "commit", committed)
    try:
        rebuilt = rebuild_for_article(
            make_session_factory(engine),
            "one-conn",
            runtime.config.site,
            runtime.feed_settings,
            utcnow(),
        )
    finally:
        engine.dispose()
    assert len(rebuilt.feed_urls) >= 9  # site, two tags and an author, in three formats
    assert len(checkouts) == 1
    assert len(commits) > 3  # and still one short transaction per step


def publish_and_rebuild(runtime: Runtime, article_id: str, **callbacks: Any) -> list[str]:
    event_in = parse_generic(envelope(article(article_id)))
    receive(runtime.factory, event_in, utcnow())
    return rebuild_for_article(
        runtime.factory,
        article_id,
        runtime.config.site,
        runtime.feed_settings,
        utcnow(),
        **callbacks,
    ).feed_urls


def stored(runtime: Runtime, key: str) -> bool:
    with runtime.factory() as session:
        return session.get(FeedDocument, key) is not None


def test_the_current_feeds_are_announced_before_the_archive_pages_that_filled_are_rendered(
    runtime: Runtime, clean: None
) -> None:
    assert runtime.feed_settings.archive_page_size == 2
    publish_and_rebuild(runtime, "first")
    seen: list[tuple[list[str], bool]] = []

    def current_stored(feed_urls: list[str]) -> None:
        seen.append((feed_urls, stored(runtime, "archive/1/atom.xml")))

    changed = publish_and_rebuild(runtime, "second", current_stored=current_stored)
    ((announced, archived_by_then),) = seen
    assert announced == changed and any(url.endswith("/feeds/atom.xml") for url in announced)
    assert not archived_by_then
    assert stored(runtime, "archive/1/atom.xml")


def links_of(runtime: Runtime, key: str) -> dict[str, str]:
    with runtime.factory() as session:
        document = session.get(FeedDocument, key)
        assert document is not None, key
        return {link.rel: link.href for link in feedparser.parse(document.body).feed.links}


def test_archive_pages_left_unrendered_by_a_stopped_rebuild_are_rendered_by_the_next(
    runtime: Runtime, clean: None
) -> None:
    for article_id in ("first", "second", "third"):
        publish_and_rebuild(runtime, article_id)
    assert "next-archive" not in links_of(runtime, "archive/1/atom.xml")

    def stopped(feed_urls: list[str]) -> None:
        raise RuntimeError("the worker stopped here")

    # The fourth fills page 2, which page 1 must then link to.
    with pytest.raises(RuntimeError):
        publish_and_rebuild(runtime, "fourth", current_stored=stopped)
    assert not stored(runtime, "archive/2/atom.xml")
    with runtime.factory() as session:  # what the sweeper looks for
        fourth = session.get(Article, "fourth")
        assert fourth is not None and fourth.feeds_version < fourth.version
    rebuild_for_article(
        runtime.factory, "fourth", runtime.config.site, runtime.feed_settings, utcnow()
    )
    assert stored(runtime, "archive/2/atom.xml")
    assert links_of(runtime, "archive/1/atom.xml")["next-archive"].endswith(
        "/feeds/archive/2/atom.xml"
    )


def test_a_rebuild_reads_in_full_only_the_article_versions_it_has_not_built_before(
    runtime: Runtime, database_url: str, clean: None
) -> None:
    for article_id in ("older", "old"):
        publish_and_rebuild(runtime, article_id)
    engine = make_engine(database_url)
    full_reads: list[Any] = []

    def executed(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "feed_html" in statement and statement.lstrip().upper().startswith("SELECT"):
            full_reads.append(parameters)

    event.listen(engine, "before_cursor_execute", executed)
    try:
        receive(runtime.factory, parse_generic(envelope(article("new"))), utcnow())
        rebuild_for_article(
            make_session_factory(engine),
            "new",
            runtime.config.site,
            runtime.feed_settings,
            utcnow(),
        )
    finally:
        engine.dispose()
    assert full_reads, "the new article is read in full"
    read = " ".join(str(parameters) for parameters in full_reads)
    assert "'new'" in read and "'old'" not in read and "'older'" not in read


def test_a_rebuild_that_finds_the_turn_taken_leaves_its_article_to_the_one_running(
    runtime: Runtime, clean: None
) -> None:
    """The rebuild running goes on with every article that fell behind meanwhile, so the
    second one returns at once and renders nothing twice."""
    late: list[list[str]] = []

    def current_stored(feed_urls: list[str]) -> None:
        if not late:  # an article arrives while the first rebuild has the turn
            late.append(publish_and_rebuild(runtime, "arrived-meanwhile"))

    first = publish_and_rebuild(runtime, "first-in", current_stored=current_stored)
    assert late == [[]]  # the second rebuild found the turn taken and did nothing
    with runtime.factory() as session:
        arrived = session.get(Article, "arrived-meanwhile")
        assert arrived is not None and arrived.feeds_version == arrived.version
        document = session.get(FeedDocument, "rss.xml")
        assert document is not None
    titles = [entry.title for entry in feedparser.parse(document.body).entries]
    assert len(titles) == 2  # both articles, placed by the first rebuild
    assert any(url.endswith("/feeds/rss.xml") for url in first)


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_articles_changed_together_are_placed_first_by_one_rebuild(
    database: str, runtime: Runtime, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A batch of webhooks gets one rebuild, given all its articles: they are placed before
    any other article that is behind, within the batch size. On PostgreSQL the rebuild then
    goes on with the others (it has the turn); on SQLite their own rebuilds place them."""
    if database == "postgresql":
        request.getfixturevalue("clean")
        factory = runtime.factory
    else:
        url = f"sqlite:///{tmp_path / 'feeds.db'}"
        upgrade(url)
        factory = make_session_factory(make_engine(url))
    for article_id in ("waiting-before", "batch-1", "batch-2"):
        receive(factory, parse_generic(envelope(article(article_id))), utcnow())
    rebuild_for_article(
        factory,
        "batch-1",
        runtime.config.site,
        runtime.feed_settings,
        utcnow(),
        batch=2,
        along=["batch-2"],
    )
    with factory() as session:
        placed = {
            a.id: a.feeds_version == a.version for a in session.query(Article).order_by(Article.id)
        }
    assert placed == {
        "batch-1": True,
        "batch-2": True,
        "waiting-before": database == "postgresql",
    }
    if database == "sqlite":
        factory.kw["bind"].dispose()
