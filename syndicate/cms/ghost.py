"""Ghost's own webhooks (post.published, post.published.edited, post.unpublished, post.deleted)
mapped onto the generic contract. Ghost names no event in the body and sends no delivery id,
so the event is read from the post's state, and a delivery is identified by its content."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from syndicate.cms.adapter import Cms
from syndicate.cms.contract import ArticleEvent, InvalidPayload, parse_generic
from syndicate.signatures import HEX_DIGEST, TIMESTAMP, SignatureError, accept, present

NO_SOCIAL_TAG = "#no-social"


def syndication(post: dict[str, Any]) -> dict[str, Any]:
    """What Ghost's own fields say about social posts: its social-card title and description
    (Facebook's, else X's) as the social copy, and the internal tag `#no-social` for none."""
    found: dict[str, Any] = {}
    if any(t.get("name") == NO_SOCIAL_TAG for t in post.get("tags") or []):
        found["share"] = False
    if title := post.get("og_title") or post.get("twitter_title"):
        found["social_title"] = title
    if text := post.get("og_description") or post.get("twitter_description"):
        found["social_text"] = {"default": text}
    return found


def article_data(post: dict[str, Any]) -> dict[str, Any]:
    authors = [
        {
            "name": a.get("name") or a.get("slug") or "Unknown",
            "url": a.get("website") or None,
            "handles": {"x": f"@{a['twitter'].lstrip('@')}"} if a.get("twitter") else {},
        }
        for a in post.get("authors") or []
    ]
    # Tags starting with "#" are Ghost's internal tags, never shown to readers.
    tags = [t["name"] for t in post.get("tags") or [] if not t.get("name", "#").startswith("#")]
    primary = post.get("primary_tag") or {}
    image = (
        {"url": post["feature_image"], "alt": post.get("feature_image_alt") or ""}
        if post.get("feature_image")
        else None
    )
    return {
        "id": post.get("id"),
        "url": post.get("url"),
        "title": post.get("title"),
        "summary": post.get("custom_excerpt") or post.get("excerpt") or "",
        "content_html": post.get("html") or "",
        "authors": authors,
        "tags": tags,
        "section": primary.get("name") if primary and primary.get("name") in tags else None,
        "image": image,
        "published_at": post.get("published_at"),
        "updated_at": post.get("updated_at"),
        "syndication": syndication(post),
    }


def parse_ghost(data: Any, body: bytes) -> ArticleEvent:
    if not isinstance(data, dict) or not isinstance(data.get("post"), dict):
        raise InvalidPayload(
            [
                {
                    "field": "post",
                    "message": 'a Ghost post webhook body is {"post": {"current", "previous"}}',
                }
            ]
        )
    current = data["post"].get("current") or {}
    previous = data["post"].get("previous") or {}
    delivery_id = "ghost-" + hashlib.sha256(body).hexdigest()
    if current.get("status") == "published" and current.get("visibility", "public") != "paid":
        event = "article.updated" if previous else "article.published"
        return parse_generic(
            {"delivery_id": delivery_id, "event": event, "article": article_data(current)}
        )
    gone = current or previous
    if not gone.get("id"):
        raise InvalidPayload([{"field": "post.current.id", "message": "no post id"}])
    # Taken back to draft: the post's own time says when. Deleted: Ghost sends only the post
    # as it was, so the delete carries no time of its own.
    when = current.get("updated_at") if current else None
    return parse_generic(
        {
            "delivery_id": delivery_id,
            "event": "article.unpublished",
            "article": {"id": gone["id"], "updated_at": when},
        }
    )


HEADER = "X-Ghost-Signature"


def verify(
    header: str | None,
    body: bytes,
    secrets: Sequence[bytes],
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> None:
    """Ghost's scheme: `sha256=<hex HMAC of body + t>, t=<milliseconds since the epoch>`."""
    value = present(header, HEADER, secrets)
    parts = dict(part.strip().partition("=")[::2] for part in value.split(","))
    signature, timestamp = parts.get("sha256", "").strip().lower(), parts.get("t", "").strip()
    if not HEX_DIGEST.fullmatch(signature) or not TIMESTAMP.fullmatch(timestamp):
        raise SignatureError("malformed signature header: expected sha256=<hex>, t=<ms>")
    signed = body + timestamp.encode()
    expected = [hmac.new(secret, signed, hashlib.sha256).hexdigest() for secret in secrets]
    accept(int(timestamp) / 1000, [signature], expected, tolerance_seconds, now)


GHOST = Cms("ghost", HEADER, verify, parse_ghost)
