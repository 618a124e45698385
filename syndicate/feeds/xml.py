"""RSS 2.0 and Atom 1.0, the only module that imports feedgen."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.ext.dc import DcEntryExtension, DcExtension
from feedgen.ext.media import MediaEntryExtension, MediaExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from syndicate import __version__
from syndicate.feeds.model import FeedItem, FeedMeta

ATOM_NS = "http://www.w3.org/2005/Atom"
HISTORY_NS = "http://purl.org/syndication/history/1.0"
TOMBSTONES_NS = "http://purl.org/atompub/tombstones/1.0"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class HistoryExtension(BaseExtension):  # type: ignore[misc]
    """RFC 5005 for RSS: feedgen writes only the self link, so the hub, paging and archive
    links go in as atom:link, plus the fh:archive marker on archive documents."""

    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []
        self.archive = False
        self.tombstones: tuple[tuple[str, datetime], ...] = ()

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
        # RFC 6721, before the entries: a document's entries stay its last elements.
        first_entry = next(
            (n for n, child in enumerate(atom) if child.tag == f"{{{ATOM_NS}}}entry"), len(atom)
        )
        for offset, (ref, when) in enumerate(self.tombstones):
            deleted = etree.Element(  # declared where used: other feeds' bytes are unchanged
                f"{{{TOMBSTONES_NS}}}deleted-entry",
                ref=ref,
                when=when.isoformat(),
                nsmap={"at": TOMBSTONES_NS},
            )
            atom.insert(first_entry + offset, deleted)
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
    # As load_extension("dc") and ("media") would, without the failing search for entry
    # modules that it repeats on every call.
    fg.register_extension("dc", DcExtension, DcEntryExtension, atom=False, rss=True)
    fg.register_extension("media", MediaExtension, MediaEntryExtension, atom=False, rss=True)
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
    fg.history.tombstones = meta.tombstones
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
        _fill(fg.add_entry(), item)  # add_entry registers the generator's extensions on it
    return fg


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
    return _document(meta, items, rss=True)


def atom(meta: FeedMeta, items: list[FeedItem]) -> bytes:
    return _document(meta, items, rss=False)


def _serialised(meta: FeedMeta, items: list[FeedItem], rss: bool) -> bytes:
    fg = _generator(meta, items, rss)
    return bytes(fg.rss_str(pretty=True) if rss else fg.atom_str(pretty=True))


def _document(meta: FeedMeta, items: list[FeedItem], rss: bool) -> bytes:
    """What feedgen writes for the whole feed, assembled from each entry's bytes.

    feedgen is asked for the feed with its newest entry alone; the other entries' bytes, each
    serialised by feedgen once per article version, go in after it. Every generator declares
    the same namespaces on the root and indents an entry at the same depth, so an entry's bytes
    are the same in every feed, and the result is byte for byte what feedgen writes for all the
    entries at once.
    """
    if not items:
        return _serialised(meta, items, rss)
    fragments = _fragments(items[1:], rss)
    document = _serialised(meta, items[:1], rss)
    ((_, end),) = _entry_spans(document, rss)
    return b"".join((document[:end], *fragments, document[end:]))


def _fragments(items: list[FeedItem], rss: bool) -> list[bytes]:
    """Each item's entry bytes; those not serialised before are serialised together, in one
    feed, and cut apart."""
    form = "rss" if rss else "atom"
    missing = list({id(item): item for item in items if form not in item.serialised}.values())
    if missing:
        document = _serialised(_FRAGMENT_META, missing, rss)
        for item, (start, end) in zip(missing, _entry_spans(document, rss), strict=True):
            item.serialised[form] = document[start:end]
    return [item.serialised[form] for item in items]


def _entry_spans(document: bytes, rss: bool) -> list[tuple[int, int]]:
    """Where each entry of a serialised feed starts and ends, in whole lines. The entries are
    the feed's last elements, each starting on a line of its own at the same indentation; text
    is escaped, so an opening tag at the start of a line is always an entry's."""
    opening, closing = (b"<item>", b"</item>\n") if rss else (b"<entry", b"</entry>\n")
    first = document.rindex(b"\n", 0, document.index(opening)) + 1
    marker = b"\n" + document[first : document.index(opening)] + opening
    starts = [first]
    while (found := document.find(marker, starts[-1])) != -1:
        starts.append(found + 1)
    ends = [*starts[1:], document.rindex(closing) + len(closing)]
    return list(zip(starts, ends, strict=True))


# Any feed would do: an entry's bytes do not depend on the feed around it.
_FRAGMENT_META = FeedMeta(
    title="entry",
    description="entry",
    language="en",
    site_url="https://entry.invalid/",
    self_url="https://entry.invalid/feed",
    updated=_EPOCH,
)
