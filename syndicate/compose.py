"""Compose one post for one channel: render its template, then fit it within the platform's
limits by shortening the summary, then the title, never the link, hashtags or mentions.

Where the CMS wrote social copy (`syndication.social_title`, `social_text`), it stands in for
the title and summary: templates see it as `article.title` and `article.summary`, and by its
own names `social_title` and `social_text`, and it is shortened the same way."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import regex
from jinja2 import Template

from syndicate import syndication, threads
from syndicate.config import ChannelConfig
from syndicate.models import Article
from syndicate.platforms.base import Draft, Platform
from syndicate.templating import Templates, text_environment
from syndicate.text import longest_fitting

_NOT_TAG_CHARACTER = regex.compile(r"[^\p{L}\p{M}\p{N}_]+")


class CompositionError(Exception):
    """The template itself is broken (a syntax error or an undefined name)."""


@dataclass(frozen=True)
class Composed:
    draft: Draft
    problems: list[str]
    template: str


def template_name(channel: ChannelConfig) -> str:
    return channel.template or f"posts/{channel.platform}/post.txt.j2"


def with_tracking(url: str, parameters: dict[str, str]) -> str:
    """`url` with the channel's tracking parameters merged into its query string."""
    if not parameters:
        return url
    parts = urlsplit(url)
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in parameters
    ]
    query += list(parameters.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def hashtag_word(tag: str) -> str | None:
    """`clinical trials` → `ClinicalTrials`; None when nothing a platform would link is left."""
    words = [w for w in _NOT_TAG_CHARACTER.split(tag) if w]
    if len(words) > 1:
        words = [w[:1].upper() + w[1:] for w in words]
    word = "".join(words)[:64]
    return word if regex.search(r"\p{L}", word) else None


def hashtags(tags: list[str], limit: int) -> list[str]:
    seen: set[str] = set()
    words = []
    for tag in tags:
        word = hashtag_word(tag)
        if word and word.casefold() not in seen:
            seen.add(word.casefold())
            words.append(word)
    return words[:limit]


def _context(
    article: Article, channel: ChannelConfig, platform: Platform, title: str, summary: str
) -> dict[str, Any]:
    escape = platform.escape
    link = with_tracking(article.url, channel.tracking)
    authors = [
        {
            "name": escape(a["name"]),
            "handle": (a.get("handles") or {}).get(channel.platform),
            "raw_name": a["name"],
        }
        for a in article.authors
    ]
    return {
        "article": {
            "id": article.id,
            "title": escape(title),
            "summary": escape(summary),
            "url": link,
            "canonical_url": article.url,
            "authors": [{"name": a["name"], "handle": a["handle"]} for a in authors],
            "tags": [escape(t) for t in article.tags],
            "section": escape(article.section or ""),
            "language": article.language,
            "image": {"url": article.image_url, "alt": article.image_alt}
            if article.image_url
            else None,
        },
        "social_title": escape(title),
        "social_text": escape(summary),
        "channel": {"name": channel.name, "platform": channel.platform, "thread": channel.thread},
        "hashtags": [platform.hashtag(w) for w in hashtags(article.tags, channel.max_hashtags)],
        "mentions": [platform.mention(a["raw_name"], a["handle"]) for a in authors if a["handle"]],
    }


def _plain(article: Article, title: str, summary: str, link: str) -> dict[str, Any]:
    """What structured extras (cards, embeds) show: unescaped, possibly shortened text."""
    return {
        "id": article.id,
        "title": title,
        "summary": summary,
        "url": link,
        "language": article.language,
        "image": {"url": article.image_url, "alt": article.image_alt}
        if article.image_url
        else None,
    }


def image_alt(article: Article) -> str:
    """What the post's image shows, for screen readers: the article image's own description,
    or (for the share image drawn from the title) the title."""
    return (article.image_alt or article.title)[:1000]


def compose(
    article: Article, channel: ChannelConfig, platform: Platform, templates_dir: Templates
) -> Composed:
    name = template_name(channel)
    template = _template(templates_dir, name)

    def render(title: str, summary: str) -> Draft:
        context = _context(article, channel, platform, title, summary)
        text = _rendered(template, name, context)
        link = context["article"]["url"]
        extras = {"article": _plain(article, title, summary, link), "alt": image_alt(article)}
        return platform.finish(Draft(text=text, link=link, extras=extras))

    def fits(draft: Draft) -> bool:
        return not platform.problems(draft)

    controls = syndication.controls(article)
    title = controls.social_title or article.title
    summary = syndication.social_text(controls, channel.name)
    summary = article.summary if summary is None else summary
    draft = render(title, summary)
    if not fits(draft) and channel.thread == "auto":
        draft = _threaded(draft, title, summary, render, fits, platform)
    if not fits(draft):
        summary = longest_fitting(summary, lambda s: fits(render(title, s))) or ""
        draft = render(title, summary)
    if not fits(draft):
        title = longest_fitting(title, lambda t: fits(render(t, ""))) or title
        draft = render(title, "")
    problems = platform.problems(draft)
    if channel.first_reply:
        context = _context(article, channel, platform, title, summary)
        reply_template = _template(templates_dir, channel.first_reply)
        reply = _rendered(reply_template, channel.first_reply, context)
        draft.extras["first_reply"] = reply
        length = platform.measure(reply)
        if not reply:
            problems.append("the first reply is empty")
        elif length > platform.max_length:
            problems.append(f"the first reply is too long: {length} {platform.limits.unit}")
    return Composed(draft, problems, name)


def _threaded(
    draft: Draft,
    title: str,
    summary: str,
    render: Callable[[str, str], Draft],
    fits: Callable[[Draft], bool],
    platform: Platform,
) -> Draft:
    """The post with as many whole sentences of the summary as fit, and the rest of it as
    numbered replies (`extras["thread"]`); the draft unchanged if even the title alone does
    not fit."""
    pieces = threads.sentences(summary)
    kept = 0
    while kept < len(pieces) and fits(render(title, " ".join(pieces[: kept + 1]))):
        kept += 1
    first = render(title, " ".join(pieces[:kept]))
    if not fits(first):
        return draft
    within = platform.max_length
    first.extras["thread"] = threads.pack(
        " ".join(pieces[kept:]), lambda part: 0 < platform.measure(part) <= within
    )
    return first


def _template(templates_dir: Templates, name: str) -> Template:
    try:
        return text_environment(templates_dir).get_template(name)
    except Exception as exc:
        raise CompositionError(f"template {name}: {exc}") from exc


def _rendered(template: Template, name: str, context: dict[str, Any]) -> str:
    try:
        text = template.render(context)
    except Exception as exc:
        raise CompositionError(f"template {name}: {exc}") from exc
    return re.sub(r"\n{3,}", "\n\n", text).strip()
