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
# The hashtag rule of Bluesky's own rich-text detection (packages/api/src/rich-text/util.ts).
_TAG = regex.compile(
    r"(?:^|\s)([#\uff03]((?!\ufe0f)[^\s\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2]*"
    r"[^\d\s\p{P}\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2]+"
    r"[^\s\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2]*))"
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")


def _byte_span(text: str, start: int, end: int) -> dict[str, int]:
    return {"byteStart": utf8_length(text[:start]), "byteEnd": utf8_length(text[:end])}


def facets(text: str) -> list[dict[str, Any]]:
    """Link and tag facets, with UTF-8 byte offsets, for every URL and hashtag in `text`."""
    found = [
        {
            "index": _byte_span(text, start, end),
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": text[start:end]}],
        }
        for start, end in urls(text)
    ]
    for match in _TAG.finditer(text):
        tag = _TRAILING_PUNCTUATION.sub("", match.group(2))
        if not tag or grapheme_count(tag) > MAX_TAG_GRAPHEMES:
            continue
        start = match.start(1)
        end = start + 1 + len(tag)
        found.append(
            {
                "index": _byte_span(text, start, end),
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
            }
        )
    return sorted(found, key=lambda f: f["index"]["byteStart"])


class Bluesky(Platform):
    name = "bluesky"
    limits: ClassVar[Limits] = Limits(max_length=300, unit="graphemes")

    def measure(self, text: str) -> int:
        return grapheme_count(text)

    def problems(self, draft: Draft) -> list[str]:
        found = super().problems(draft)
        size = utf8_length(draft.text)
        if size > MAX_BYTES:
            found.append(f"too long: {size} bytes of UTF-8, the limit is {MAX_BYTES}")
        return found

    def finish(self, draft: Draft) -> Draft:
        article = draft.extras.get("article") or {}
        draft.extras["facets"] = facets(draft.text)
        draft.extras["embed"] = {
            "$type": "app.bsky.embed.external",
            "external": {
                "uri": draft.link,
                "title": article.get("title", ""),
                "description": article.get("summary", ""),
            },
        }
        if article.get("language"):
            draft.extras["langs"] = [article["language"]]
        return draft

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
