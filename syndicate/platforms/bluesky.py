"""Bluesky: 300 graphemes and 3000 UTF-8 bytes; links and tags need facets with byte offsets,
and the link card is an `app.bsky.embed.external` the client builds itself."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import regex
import requests

from syndicate.platforms.base import (
    Counts,
    DeliveryError,
    Draft,
    Limits,
    Platform,
    Receipt,
    SentPost,
)
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
MENTION = "app.bsky.richtext.facet#mention"
# A handle as Bluesky's rich-text detection finds it: @ and a domain name, after a space or (.
_MENTION = regex.compile(
    r"(?:^|(?<=[\s(]))@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z][a-zA-Z0-9-]*)"
)


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


def mention_facets(text: str) -> list[dict[str, Any]]:
    """Mention facets for every @handle in `text`; each names its handle until the send
    resolves it to the account's DID."""
    return [
        _facet(text, m.start(), m.end(), {"$type": MENTION, "handle": m.group(1).lower()})
        for m in _MENTION.finditer(text)
    ]


# Record keys of posts are TIDs: https://atproto.com/specs/tid
_S32 = "234567abcdefghijklmnopqrstuvwxyz"
API = "https://bsky.social"
SESSION_SECONDS = 60 * 60
# (when created, accessJwt, refreshJwt, did) per (PDS, handle).
_sessions: dict[tuple[str, str], tuple[float, str, str, str]] = {}
# What a PDS answers when an access token has run out (or is no longer valid).
_EXPIRED = ("ExpiredToken", "InvalidToken")


class ExpiredSession(DeliveryError):
    """The PDS refused the access token as expired: refresh the session and try again."""


def tid(micros: int, clock_id: int) -> str:
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock_id & 0x3FF)
    return "".join(_S32[(value >> shift) & 31] for shift in range(60, -1, -5))


def record_key(idempotency_key: str) -> str:
    """The same TID for every attempt at one post, so a retry can never create a second one."""
    micros = idempotency_key.rsplit("-", 1)[-1]
    return tid(int(micros) if micros.isdigit() else 0, zlib.crc32(idempotency_key.encode()))


class BlueskySender:
    """The AT Protocol calls behind Bluesky.send, with the session they need."""

    def __init__(self, adapter: Bluesky) -> None:
        self.adapter = adapter
        self.base = (adapter.channel.url or API).rstrip("/")

    def xrpc(self, method: str, name: str, access: str | None = None, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        if access:
            headers["Authorization"] = f"Bearer {access}"
        try:
            response = self.adapter.request(
                method, f"{self.base}/xrpc/{name}", headers=headers, **kwargs
            )
        except DeliveryError as error:
            if access and error.status_code in (400, 401) and _names_expiry(error.message):
                raise ExpiredSession(error.message, status_code=error.status_code) from error
            raise
        return response.json() if response.content else {}

    def call(self, method: str, name: str, **kwargs: Any) -> Any:
        """An authenticated call; an expired access token is refreshed once and the call
        repeated (the same request, so it cannot do anything twice)."""
        access, _did = self.session()
        try:
            return self.xrpc(method, name, access, **kwargs)
        except ExpiredSession:
            access, _did = self.refresh()
            return self.xrpc(method, name, access, **kwargs)

    @property
    def key(self) -> tuple[str, str]:
        return (self.base, self.adapter.channel.target)

    def session(self) -> tuple[str, str]:
        """(accessJwt, did), from an hour-long cache: createSession allows 30 calls in 5 min."""
        cached = _sessions.get(self.key)
        if cached and time.monotonic() - cached[0] < SESSION_SECONDS:
            return cached[1], cached[3]
        created = self.xrpc(
            "POST",
            "com.atproto.server.createSession",
            json={"identifier": self.adapter.channel.target, "password": self.adapter.token()},
        )
        return self.remember(created)

    def refresh(self) -> tuple[str, str]:
        """Swap the refresh token for a new pair; start over if the PDS refuses it."""
        cached = _sessions.pop(self.key, None)
        if cached is None:
            return self.session()
        try:
            refreshed = self.xrpc(
                "POST",
                "com.atproto.server.refreshSession",
                headers={"Authorization": f"Bearer {cached[2]}"},
            )
        except DeliveryError as error:
            if error.status_code not in (400, 401):
                raise
            return self.session()
        return self.remember(refreshed)

    def remember(self, answer: dict[str, Any]) -> tuple[str, str]:
        access, refresh, did = answer["accessJwt"], answer["refreshJwt"], answer["did"]
        _sessions[self.key] = (time.monotonic(), access, refresh, did)
        return access, did

    def existing(self, did: str, rkey: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.call(
                "GET",
                "com.atproto.repo.getRecord",
                params={"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey},
            )
            return found
        except DeliveryError as error:
            if error.status_code in (400, 404):  # RecordNotFound
                return None
            raise

    def resolved(self, facets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The facets with every mention's handle resolved to its DID; a handle that resolves
        to no account stays plain text."""
        dids: dict[str, str | None] = {}
        kept = []
        for facet in facets:
            feature = facet["features"][0]
            if feature.get("$type") != MENTION or "did" in feature:
                kept.append(facet)
                continue
            handle = feature["handle"]
            if handle not in dids:
                dids[handle] = self.did_of(handle)
            if dids[handle]:
                kept.append({**facet, "features": [{"$type": MENTION, "did": dids[handle]}]})
        return kept

    def did_of(self, handle: str) -> str | None:
        try:
            answer = self.call(
                "GET", "com.atproto.identity.resolveHandle", params={"handle": handle}
            )
        except DeliveryError as error:
            if error.status_code == 400:  # no such handle
                return None
            raise
        did = answer.get("did")
        return did if isinstance(did, str) and did.startswith("did:") else None

    def thumb(self, draft: Draft) -> dict[str, Any] | None:
        if draft.thumbnail is None:
            return None
        data, media_type = draft.thumbnail
        uploaded = self.call(
            "POST", "com.atproto.repo.uploadBlob", data=data, headers={"Content-Type": media_type}
        )
        blob: dict[str, Any] = uploaded["blob"]
        return blob


def images_embed(blob: dict[str, Any], alt: str) -> dict[str, Any]:
    """app.bsky.embed.images with one image: the share image (1200 by 630) and its alt text."""
    return {
        "$type": "app.bsky.embed.images",
        "images": [{"image": blob, "alt": alt, "aspectRatio": {"width": 1200, "height": 630}}],
    }


def _names_expiry(message: str) -> bool:
    return any(f'"{name}"' in message for name in _EXPIRED)


class Bluesky(Platform):
    name = "bluesky"
    limits: ClassVar[Limits] = Limits(max_length=300, unit="graphemes")
    # The link travels in a facet (under its shortened text) and in the card.
    link_travels_separately = True
    idempotent_sends = True  # a fixed record key: a repeated create cannot add a second post
    can_delete = True

    def mention(self, name: str, handle: str) -> str:
        return "@" + handle.strip().lstrip("@")

    def measure(self, text: str) -> int:
        return grapheme_count(text)

    def wait_signal(self, response: requests.Response) -> float | None:
        # https://docs.bsky.app/docs/advanced-guides/rate-limits: Retry-After on a 429, and
        # RateLimit-Reset (epoch seconds) on every limited route.
        wait = super().wait_signal(response)
        reset = response.headers.get("RateLimit-Reset", "")
        if wait is None and reset.isdigit():
            wait = max(0.0, int(reset) - time.time())
        return wait

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
        found = links + tag_facets(text) + mention_facets(text)
        extras["facets"] = sorted(found, key=lambda f: f["index"]["byteStart"])
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

    def check(self) -> str:
        _access, did = BlueskySender(self).session()
        return f"{self.channel.target} ({did})"

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        def record(sender: BlueskySender) -> dict[str, Any]:
            made = self.payload(draft, idempotency_key)
            made["facets"] = sender.resolved(made["facets"])
            thumb = sender.thumb(draft)
            if thumb and self.channel.photo:
                # The share image itself, described for screen readers, in place of the card.
                made["embed"] = images_embed(thumb, str(draft.extras.get("alt") or ""))
            elif thumb and made.get("embed"):
                made["embed"]["external"]["thumb"] = thumb
            return made

        return self._create_once(idempotency_key, record)

    def _create_once(
        self, idempotency_key: str, record: Callable[[BlueskySender], dict[str, Any]]
    ) -> Receipt:
        """Create the post record under the key's own record key, unless an earlier attempt
        already did: a retry finds it instead of posting again."""
        sender = BlueskySender(self)
        _access, did = sender.session()
        rkey = record_key(idempotency_key)
        found = sender.existing(did, rkey)
        if found is None:
            found = sender.call(
                "POST",
                "com.atproto.repo.createRecord",
                json={
                    "repo": did,
                    "collection": "app.bsky.feed.post",
                    "rkey": rkey,
                    "record": record(sender),
                },
            )
        return Receipt(200, found["uri"], f"https://bsky.app/profile/{did}/post/{rkey}")

    can_reply = True
    can_thread = True
    reads_counts = True

    def counts(self, sent: SentPost) -> Counts:
        """app.bsky.feed.getPosts (answered by the AppView behind the PDS)."""
        found = BlueskySender(self).call(
            "GET", "app.bsky.feed.getPosts", params={"uris": sent.receipt.remote_id}
        )
        shown = (found.get("posts") or [{}])[0]
        return Counts(
            likes=shown.get("likeCount"),
            reposts=shown.get("repostCount"),
            replies=shown.get("replyCount"),
            quotes=shown.get("quoteCount"),
        )

    def reply(self, parent: SentPost, draft: Draft, idempotency_key: str) -> Receipt:
        """A reply record under the post (its root and parent, as strong references), under a
        record key of its own that a retry finds instead of posting again."""

        def record(sender: BlueskySender) -> dict[str, Any]:
            parent_did, _, parent_rkey = (
                str(parent.receipt.remote_id)
                .removeprefix("at://")
                .partition("/app.bsky.feed.post/")
            )
            shown = sender.existing(parent_did, parent_rkey)
            if shown is None:
                raise DeliveryError("the post to reply to is gone", permanent=True)
            ref = {"uri": shown["uri"], "cid": shown["cid"]}
            root = (shown.get("value") or {}).get("reply", {}).get("root", ref)
            text, links = shorten_links(draft.text, "")
            facets = sender.resolved(links + tag_facets(text) + mention_facets(text))
            return {
                "$type": "app.bsky.feed.post",
                "text": text,
                "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "facets": sorted(facets, key=lambda f: f["index"]["byteStart"]),
                "reply": {"root": root, "parent": ref},
            }

        return self._create_once(idempotency_key, record)

    def delete(self, sent: SentPost) -> None:
        sender = BlueskySender(self)
        _access, did = sender.session()
        rkey = str(sent.receipt.remote_id).rsplit("/", 1)[-1]
        sender.call(
            "POST",
            "com.atproto.repo.deleteRecord",
            json={"repo": did, "collection": "app.bsky.feed.post", "rkey": rkey},
        )
