"""The site's details set in the browser: kept in the database, where the site file leaves
them open; a change renders every feed again, and the sweeper finds one that was lost."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest

from syndicate import sitedetails
from syndicate.articles import receive
from syndicate.audit import entries
from syndicate.cms import parse_generic
from syndicate.config import UNTITLED, SiteConfig
from syndicate.feeds.build import rebuild_for_article
from syndicate.models import FeedDocument, utcnow
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.servers import wait_until

FORM = sitedetails.SiteDetailsForm(
    title="Harbour Gazette", description="Tides and trade", language="en-GB", link=None
)


def test_a_detail_the_file_sets_wins_over_the_browser(runtime: Runtime, clean: None) -> None:
    file_site = SiteConfig.model_validate({"title": "From the file"})
    with runtime.factory.begin() as session:
        changed = sitedetails.save(session, file_site, FORM, "founder", utcnow())
    assert changed == ["description", "language"]  # the title is the file's; no link sent
    with runtime.factory() as session:
        site = sitedetails.effective(file_site, sitedetails.stored(session))
        audit = entries(session)
    assert (site.title, site.description, site.language) == (
        "From the file",
        "Tides and trade",
        "en-GB",
    )
    assert [(e.actor, e.action, e.detail) for e in audit] == [
        ("founder", "site.changed", {"changed": ["description", "language"]})
    ]


def test_without_stored_details_the_defaults_stand(runtime: Runtime, clean: None) -> None:
    with runtime.factory() as session:
        site = sitedetails.effective(SiteConfig(), sitedetails.stored(session))
    assert (site.title, site.language, site.link) == (UNTITLED, "en", "")


def test_saving_the_same_details_again_changes_nothing(runtime: Runtime, clean: None) -> None:
    for expected in (["title", "description", "language"], []):
        with runtime.factory.begin() as session:
            assert sitedetails.save(session, SiteConfig(), FORM, "founder", utcnow()) == expected
    with runtime.factory() as session:
        row = sitedetails.stored(session)
        assert row is not None and row.version == 1
        assert len(entries(session)) == 1


def _site_feed_title(runtime: Runtime) -> str:
    with runtime.factory() as session:
        document = session.get(FeedDocument, "rss.xml")
        assert document is not None
        return str(feedparser.parse(document.body).feed.title)


def test_a_change_renders_every_feed_again_once(runtime: Runtime, clean: None) -> None:
    untitled = SiteConfig()
    receive(runtime.factory, parse_generic(envelope(article("tide-1", tags=["Tides"]))), utcnow())
    rebuild_for_article(runtime.factory, "tide-1", untitled, runtime.feed_settings, utcnow())
    assert _site_feed_title(runtime) == UNTITLED

    with runtime.factory.begin() as session:
        sitedetails.save(session, untitled, FORM, "founder", utcnow())
    rebuilt = sitedetails.rebuild_feeds(runtime.factory, untitled, runtime.feed_settings)
    assert rebuilt is not None and rebuilt.feeds == 4  # the site, the tag, the author, the section
    assert f"{runtime.settings.base_url}/feeds/rss.xml" in rebuilt.feed_urls
    assert _site_feed_title(runtime) == "Harbour Gazette"
    assert sitedetails.rebuild_feeds(runtime.factory, untitled, runtime.feed_settings) is None


def test_the_sweeper_finds_a_change_whose_rebuild_was_lost(runtime: Runtime, clean: None) -> None:
    now = utcnow()
    with runtime.factory.begin() as session:
        sitedetails.save(session, SiteConfig(), FORM, "founder", now)
    with runtime.factory() as session:
        assert not sitedetails.feeds_behind(session, now + timedelta(seconds=5), 60)
        assert sitedetails.feeds_behind(session, now + timedelta(seconds=61), 60)
    sitedetails.rebuild_feeds(runtime.factory, SiteConfig(), runtime.feed_settings)
    with runtime.factory() as session:
        assert not sitedetails.feeds_behind(session, now + timedelta(seconds=61), 60)


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", ""), ("title", "x" * 201), ("language", "english please"), ("link", "ftp://x")],
)
def test_the_form_refuses_what_the_columns_could_not_hold(field: str, value: str) -> None:
    fields = {"title": "T", field: value}
    with pytest.raises(ValueError, match=field):
        sitedetails.SiteDetailsForm.model_validate(fields)


@pytest.mark.usefixtures("worker", "beat")
def test_the_sweeper_renders_the_feeds_of_a_change_whose_task_was_lost(
    runtime: Runtime, client: Client
) -> None:
    with runtime.factory.begin() as session:  # saved, but never enqueued: as if the broker lost it
        sitedetails.save(session, SiteConfig(), FORM, "founder", utcnow())

    def caught_up() -> bool:
        with runtime.factory() as session:
            row = sitedetails.stored(session)
            return row is not None and row.feeds_version == row.version == 1

    wait_until(caught_up, timeout=30)
