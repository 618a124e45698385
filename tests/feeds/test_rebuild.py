"""A rebuild is many short transactions on one database connection."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from syndicate.articles import receive
from syndicate.cms import parse_generic
from syndicate.db import make_engine, make_session_factory
from syndicate.feeds.build import rebuild_for_article
from syndicate.models import utcnow
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
