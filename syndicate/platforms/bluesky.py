"""Bluesky: 300 graphemes and 3000 UTF-8 bytes; links and tags need facets with byte offsets,
and the link card is an `app.bsky.embed.external` the client builds itself."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import regex

from syndicate.platforms.base import Draft, Limits, Platform
from syndicate.text import grapheme_count, urls, utf8_length

# https://github.com/bluesky-social/atproto/blob/main/lexicons/app/bsky/feed/post.json
MAX_BYTES = 3000
MAX_TAG_GRAPHEMES = 64
DISPLAY_URL_LENGTH = 32
# The hashtag rule of Bluesky's own rich-text detection (packages/api/src/rich-text/util.ts).
_TAG = regex.compile(
    r"(?:^|\s)([#\uff03]((?!\ufe0f)[^\s\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2]*"
    r"[^\d\s\p{P}\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2]+"
    r"[^\s\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2]*))"
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
LINK = "app.bsky.richtext.facet#link"
TAG = "app.bsky.richtext.facet#tag"


def display_url(url: str) -> str:
    """How a link shows in the text: no scheme, and cut short; its facet keeps the full URI.
    (https://docs.bsky.app/docs/advanced-guides/posts: the text of a link may be shortened.)"""
    shown = url.split("://", 1)[-1].removeprefix("www.")
    if len(shown) > DISPLAY_URL_LENGTH:
        shown = shown[: DISPLAY_URL_LENGTH - 1] + "…"
    return shown


def _facet(text: str, start: int, end: int, feature: dict[str, str]) -> dict[str, Any]:
    index = {"byteStart": utf8_length(text[:start]), "byteEnd": utf8_length(text[:end])}
    return {"index": index, "features": [feature]}


def shorten_links(text: str, link: str) -> tuple[str, list[dict[str, Any]]]:
    """Show every URL in its display form; return that text and its link facets."""
    pieces: list[str] = []
    spans: list[tuple[int, int, str]] = []
    position = 0
    for start, end in urls(text):
        pieces.append(text[position:start])
        shown = display_url(text[start:end])
        offset = sum(len(p) for p in pieces)
        spans.append((offset, offset + len(shown), text[start:end]))
        pieces.append(shown)
        position = end
    pieces.append(text[position:])
    shown_text = "".join(pieces)
    if link and link not in (uri for _, _, uri in spans) and display_url(link) in shown_text:
        start = shown_text.index(display_url(link))  # an edited text kept the short form
        spans.append((start, start + len(display_url(link)), link))
    links = [
        _facet(shown_text, start, end, {"$type": LINK, "uri": uri}) for start, end, uri in spans
    ]
    return shown_text, links


def tag_facets(text: str) -> list[dict[str, Any]]:
    """Tag facets, with UTF-8 byte offsets, for every hashtag in `text`."""
    found = []
    for match in _TAG.finditer(text):
        tag = _TRAILING_PUNCTUATION.sub("", match.group(2))
        if tag and grapheme_count(tag) <= MAX_TAG_GRAPHEMES:
            start = match.start(1)
            found.append(_facet(text, start, start + 1 + len(tag), {"$type": TAG, "tag": tag}))
    return found


class Bluesky(Platform):
    name = "bluesky"
    limits: ClassVar[Limits] = Limits(max_length=300, unit="graphemes")
    # The link travels in a facet (under its shortened text) and in the card.
    link_travels_separately = True

    def measure(self, text: str) -> int:
        return grapheme_count(text)

    def problems(self, draft: Draft) -> list[str]:
        found = super().problems(draft)
        size = utf8_length(draft.text)
        if size > MAX_BYTES:
            found.append(f"too long: {size} bytes of UTF-8, the limit is {MAX_BYTES}")
        uris = [f["features"][0].get("uri") for f in draft.extras.get("facets", [])]
        if draft.link and draft.link not in uris:
            found.append("the article link is missing from the text")
        return found

    def finish(self, draft: Draft) -> Draft:
        article = draft.extras.get("article") or {}
        text, links = shorten_links(draft.text, draft.link)
        extras = dict(draft.extras)
        extras["facets"] = sorted(links + tag_facets(text), key=lambda f: f["index"]["byteStart"])
        extras["embed"] = {
            "$type": "app.bsky.embed.external",
            "external": {
                "uri": draft.link,
                "title": article.get("title", ""),
                "description": article.get("summary", ""),
            },
        }
        if article.get("language"):
            extras["langs"] = [article["language"]]
        return Draft(text=text, link=draft.link, extras=extras)

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": draft.text,
            "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "facets": draft.extras.get("facets", []),
            "embed": draft.extras.get("embed"),
        }
        if draft.extras.get("langs"):
            record["langs"] = draft.extras["langs"]
        return record
