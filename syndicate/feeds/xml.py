"""RSS 2.0 and Atom 1.0, the only module that imports feedgen."""

from __future__ import annotations

from feedgen.feed import FeedGenerator

from syndicate import __version__
from syndicate.feeds.model import FeedItem, FeedMeta


def _generator(meta: FeedMeta, items: list[FeedItem]) -> FeedGenerator:
    fg = FeedGenerator()
    fg.load_extension("dc")
    fg.id(meta.self_url)
    fg.title(meta.title)
    fg.description(meta.description or meta.title)
    # feedgen writes the last link given as RSS <channel><link>: the site, not the feed.
    fg.link(href=meta.self_url, rel="self")
    fg.link(href=meta.site_url, rel="alternate")
    fg.language(meta.language)
    fg.generator("Syndicate", version=__version__)
    fg.lastBuildDate(meta.updated)
    fg.updated(meta.updated)
    # feedgen prepends entries, so add oldest first to keep newest first in the output.
    for item in reversed(items):
        entry = fg.add_entry()
        entry.id(item.guid)
        entry.guid(item.guid, permalink=False)
        entry.title(item.title)
        entry.link(href=item.url, rel="alternate")
        if item.summary:
            entry.description(item.summary)
        if item.content_html:
            entry.content(item.content_html, type="CDATA")
        for name in item.authors:
            entry.dc.dc_creator(name)
        for tag in item.tags:
            entry.category(term=tag)
        entry.published(item.published)
        entry.updated(item.updated)
    return fg


def rss(meta: FeedMeta, items: list[FeedItem]) -> bytes:
    return bytes(_generator(meta, items).rss_str(pretty=True))
