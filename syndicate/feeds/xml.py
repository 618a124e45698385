"""RSS 2.0 and Atom 1.0, the only module that imports feedgen."""

from __future__ import annotations

import copy
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from syndicate import __version__
from syndicate.feeds.model import FeedItem, FeedMeta

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"


class HistoryExtension(BaseExtension):  # type: ignore[misc]
    """RFC 5005 for RSS: feedgen writes only the self link, so the hub, paging and archive
    links go in as atom:link, plus the fh:archive marker on archive documents."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []
        self.archive = False

    def extend_ns(self) -> dict[str, str]:
        return {"fh": HISTORY_NS}

    def extend_rss(self, rss: Any) -> Any:
        channel = rss[0]
        for rel, href in self.links:
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", rel=rel, href=href)
        if self.archive:
            etree.SubElement(channel, f"{{{HISTORY_NS}}}archive")
        return rss

    def extend_atom(self, atom: Any) -> Any:
        if self.archive:
            etree.SubElement(atom, f"{{{HISTORY_NS}}}archive")
        return atom


class EntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """What feedgen's entries lack: an Atom enclosure link (feedgen drops the `rel` of entry
    links, which would turn it into a second alternate link), and the entry's language."""

    def __init__(self) -> None:
        self.enclosure: tuple[str, str] | None = None
        self.language: str | None = None

    def extend_atom(self, entry: Any) -> Any:
        if self.enclosure:
            href, media_type = self.enclosure
            # feedgen builds Atom entries in the default namespace, so no prefix here.
            etree.SubElement(entry, "link", rel="enclosure", href=href, type=media_type)
        if self.language:
            entry.set("{http://www.w3.org/XML/1998/namespace}lang", self.language)
        return entry

    def extend_rss(self, item: Any) -> Any:
        if self.enclosure:
            href, media_type = self.enclosure
            etree.SubElement(item, "enclosure", url=href, length="0", type=media_type)
        return item


def _generator(meta: FeedMeta, items: list[FeedItem], rss: bool) -> FeedGenerator:
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.load_extension("media", atom=False, rss=True)
    fg.register_extension("history", HistoryExtension, EntryExtension, atom=True, rss=True)
    fg.id(meta.self_url)
    fg.title(meta.title)
    fg.subtitle(meta.description or meta.title)
    fg.description(meta.description or meta.title)
    fg.author({"name": meta.title})
    # feedgen writes the last link given as RSS <channel><link>: the site, not the feed.
    fg.link(href=meta.self_url, rel="self")
    extra = [("hub", hub) for hub in meta.hubs] + list(meta.links.items())
    if rss:
        fg.history.links = extra
    else:
        for rel, href in extra:
            fg.link(href=href, rel=rel)
    fg.link(href=meta.site_url, rel="alternate")
    fg.history.archive = meta.archive
    fg.language(meta.language)
    fg.generator("Syndicate", version=__version__, uri="https://github.com/syndicate-news")
    fg.lastBuildDate(meta.updated)
    fg.updated(meta.updated)
    if meta.icon:
        fg.icon(meta.icon)
    if meta.logo:
        fg.logo(meta.logo)
        fg.image(url=meta.logo, title=meta.title, link=meta.site_url)
    # feedgen prepends entries, so add oldest first to keep newest first in the output.
    for item in reversed(items):
        _add_entry(fg, item)
    return fg


# Built entries, reused by every feed and format an article version appears in: feedgen
# serialises an entry without changing it, and every generator here loads the same extensions.
# Keyed by the identity of the (cached, immutable) FeedItem they were built from.
_ENTRIES: dict[int, tuple[FeedItem, FeedEntry]] = {}
_ENTRIES_MAX = 20_000


class _BuiltOnce(FeedEntry):  # type: ignore[misc]
    """An entry whose RSS item and Atom entry elements are built once; every feed it is in
    gets a copy (an lxml element can have one parent), which is much cheaper to make."""

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[tuple[str, bool], Any] = {}

    def _copy(self, form: str, extensions: bool, build: Any) -> Any:
        element = self._built.get((form, extensions))
        if element is None:
            element = self._built[(form, extensions)] = build(extensions)
        return copy.deepcopy(element)

    def rss_entry(self, extensions: bool = True) -> Any:
        return self._copy("rss", extensions, super().rss_entry)

    def atom_entry(self, extensions: bool = True) -> Any:
        return self._copy("atom", extensions, super().atom_entry)


def _add_entry(fg: FeedGenerator, item: FeedItem) -> None:
    hit = _ENTRIES.get(id(item))
    if hit is not None and hit[0] is item:
        fg.add_entry(hit[1])
        return
    if len(_ENTRIES) >= _ENTRIES_MAX:
        _ENTRIES.clear()
    entry = fg.add_entry(_BuiltOnce())  # registers the generator's extensions on the entry
    _fill(entry, item)
    _ENTRIES[id(item)] = (item, entry)


def _fill(entry: FeedEntry, item: FeedItem) -> None:
    entry.id(item.guid)
    entry.guid(item.guid, permalink=False)
    entry.title(item.title)
    entry.link(href=item.url, rel="alternate")
    entry.summary(item.summary or item.title)
    if item.content_html:
        entry.content(item.content_html, type="html")
    for name in item.authors:
        entry.author({"name": name})
        entry.dc.dc_creator(name)
    for tag in item.tags:
        entry.category(term=tag, label=tag)
    entry.published(item.published)
    entry.updated(item.updated)
    entry.history.language = item.language
    if item.image_url:
        entry.history.enclosure = (item.image_url, item.image_type)
        entry.media.content(url=item.image_url, medium="image", type=item.image_type)


def rss(meta: FeedMeta, items: list[FeedItem]) -> bytes:
    return bytes(_generator(meta, items, rss=True).rss_str(pretty=True))


def atom(meta: FeedMeta, items: list[FeedItem]) -> bytes:
    return bytes(_generator(meta, items, rss=False).atom_str(pretty=True))
