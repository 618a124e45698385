"""The WordPress REST API post object (`/wp/v2/posts/<id>?_embed`), as the Syndicate plugin
sends it, mapped onto the generic contract."""

from __future__ import annotations

import hashlib
import html
from typing import Any

from syndicate import signatures
from syndicate.cms.adapter import Cms
from syndicate.cms.contract import ArticleEvent, InvalidPayload, parse_generic
from syndicate.feeds.content import plain_text


def _rendered(field: Any) -> str:
    value = field.get("rendered", "") if isinstance(field, dict) else str(field or "")
    return html.unescape(plain_text(value))  # titles and excerpts arrive as HTML entities


def _terms(post: dict[str, Any], taxonomy: str) -> list[str]:
    groups = (post.get("_embedded") or {}).get("wp:term") or []
    return [
        html.unescape(t["name"])
        for group in groups
        for t in group
        if t.get("taxonomy") == taxonomy and t.get("name")
    ]


def _gmt(value: str | None) -> str | None:
    return f"{value}Z" if value and not value.endswith("Z") else value


def _names(value: Any) -> list[str]:
    return [n.strip() for n in str(value or "").split(",") if n.strip()]


def syndication(meta: Any) -> dict[str, Any]:
    """The plugin's `syndicate_*` post meta as the contract's syndication object (only what is
    set: a field left empty says nothing)."""
    if not isinstance(meta, dict):
        return {}
    found: dict[str, Any] = {}
    if meta.get("syndicate_share") is False:
        found["share"] = False
    if channels := _names(meta.get("syndicate_channels")):
        found["channels"] = channels
    if excluded := _names(meta.get("syndicate_exclude_channels")):
        found["exclude_channels"] = excluded
    if title := str(meta.get("syndicate_social_title") or "").strip():
        found["social_title"] = title
    if text := str(meta.get("syndicate_social_text") or "").strip():
        found["social_text"] = {"default": text}
    if moment := str(meta.get("syndicate_not_before") or "").strip():
        found["not_before"] = moment
    return found


def article_data(post: dict[str, Any]) -> dict[str, Any]:
    embedded = post.get("_embedded") or {}
    media = (embedded.get("wp:featuredmedia") or [{}])[0] or {}
    categories = [c for c in _terms(post, "category") if c != "Uncategorized"]
    return {
        "id": str(post.get("id", "")),
        "url": post.get("link"),
        "title": _rendered(post.get("title")),
        "summary": _rendered(post.get("excerpt")).removesuffix(" [&hellip;]").removesuffix(" […]"),
        "content_html": (post.get("content") or {}).get("rendered", ""),
        "authors": [
            {"name": a.get("name") or "Unknown", "url": a.get("link")}
            for a in embedded.get("author") or []
            if isinstance(a, dict)
        ],
        "tags": _terms(post, "post_tag"),
        "section": categories[0] if categories else None,
        "image": {"url": media["source_url"], "alt": media.get("alt_text") or ""}
        if media.get("source_url")
        else None,
        "published_at": _gmt(post.get("date_gmt")),
        "updated_at": _gmt(post.get("modified_gmt")),
        "syndication": syndication(post.get("meta")),
    }


def parse_wordpress(data: Any, body: bytes) -> ArticleEvent:
    """The event a signed post object stands for. Its delivery id is the plugin's
    `syndicate_delivery`, inside the signed body, or else the body's hash: only what the
    signature covers may say whether a delivery was seen before (an unsigned header could be
    changed to replay a captured publish as a new one)."""
    if not isinstance(data, dict) or "id" not in data:
        raise InvalidPayload(
            [{"field": "body", "message": "expected a WordPress REST API post object"}]
        )
    delivery = data.get("syndicate_delivery")
    if not isinstance(delivery, str) or not delivery.startswith("wordpress-"):
        delivery = "wordpress-" + hashlib.sha256(body).hexdigest()
    if data.get("status") == "publish":
        return parse_generic(
            {"delivery_id": delivery, "event": "article.published", "article": article_data(data)}
        )
    # Anything else (draft, pending, private, trash) takes a published post down.
    return parse_generic(
        {
            "delivery_id": delivery,
            "event": "article.unpublished",
            "article": {"id": str(data["id"]), "updated_at": _gmt(data.get("modified_gmt"))},
        }
    )


WORDPRESS = Cms("wordpress", signatures.HEADER, signatures.verify, parse_wordpress)
