"""Inbound webhook payloads: the generic CMS contract, validated into one `ArticleIn`."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from syndicate.moments import Moment

ARTICLE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$"


class InvalidPayload(Exception):
    """The payload is not what the contract says; `errors` name each bad field."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("invalid payload")
        self.errors = errors


def _http_url(value: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    if any(c.isspace() for c in value):
        raise ValueError("must not contain white space")
    return value


HttpUrl = Annotated[str, Field(min_length=1, max_length=2048), AfterValidator(_http_url)]
ShortText = Annotated[str, Field(max_length=300)]


class AuthorIn(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    url: HttpUrl | None = None
    handles: dict[ShortText, ShortText] = Field(default_factory=dict, max_length=20)


class ImageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: HttpUrl
    alt: str = Field(default="", max_length=1000)


ChannelName = Annotated[str, Field(min_length=1, max_length=100)]


class SyndicationIn(BaseModel):
    """What the CMS says about the article's social posts; every key is optional."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    share: bool = True
    # Only these channels (each still subject to its rules unless named here) and never these.
    channels: list[ChannelName] | None = Field(default=None, max_length=100)
    exclude_channels: list[ChannelName] = Field(default_factory=list, max_length=100)
    social_title: str | None = Field(default=None, min_length=1, max_length=1000)
    # "default" for every channel, or a channel's name for that channel only.
    social_text: dict[ChannelName, Annotated[str, Field(max_length=20_000)]] = Field(
        default_factory=dict, max_length=101
    )
    not_before: Moment | None = None

    def named_channels(self) -> list[tuple[str, str]]:
        """(field, name) for every channel the object names."""
        named = [(f"channels.{i}", n) for i, n in enumerate(self.channels or [])]
        named += [(f"exclude_channels.{i}", n) for i, n in enumerate(self.exclude_channels)]
        named += [(f"social_text.{n}", n) for n in self.social_text if n != "default"]
        return named


class ArticleIn(BaseModel):
    """A published article as the generic contract describes it."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(pattern=ARTICLE_ID_PATTERN)
    url: HttpUrl
    title: str = Field(min_length=1, max_length=1000)
    summary: str = Field(default="", max_length=20_000)
    content_html: str = ""
    authors: list[AuthorIn] = Field(default_factory=list, max_length=50)
    tags: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100
    )
    section: str | None = Field(default=None, max_length=200)
    image: ImageIn | None = None
    language: str | None = Field(default=None, pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
    published_at: Moment
    updated_at: Moment | None = None
    syndication: SyndicationIn = Field(default_factory=SyndicationIn)

    @field_validator("tags")
    @classmethod
    def _dedupe_tags(cls, tags: list[str]) -> list[str]:
        seen: set[str] = set()
        unique = []
        for tag in (t.strip() for t in tags):
            if tag and tag.casefold() not in seen:
                seen.add(tag.casefold())
                unique.append(tag)
        return unique

    def version_time(self) -> datetime:
        """The CMS's time of this version: when it was last edited, or else published."""
        return self.updated_at or self.published_at

    def content_hash(self) -> str:
        # An article without syndication controls hashes as it did before there were any.
        plain = self.syndication == SyndicationIn()
        data = self.model_dump(mode="json", exclude={"syndication"} if plain else None)
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


def unknown_channels(article: ArticleIn, known: set[str]) -> list[dict[str, str]]:
    """An error for every channel the article's syndication object names that is not one."""
    return [
        {
            "field": f"article.syndication.{field}",
            "message": f"no channel is named {name!r}; there are: {', '.join(sorted(known))}",
        }
        for field, name in article.syndication.named_channels()
        if name not in known
    ]


class ArticleRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=ARTICLE_ID_PATTERN)
    # When the CMS took the article down, if it says: an older publish arriving later is
    # then ignored.
    updated_at: Moment | None = None


Event = Literal["article.published", "article.updated", "article.unpublished"]


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    delivery_id: str = Field(min_length=1, max_length=200)
    event: Event
    article: dict[str, Any]


class ArticleEvent(BaseModel):
    delivery_id: str
    event: Event
    article: ArticleIn | ArticleRef


def _errors(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[dict[str, str]]:
    found = []
    for item in exc.errors():
        location = ".".join(str(p) for p in (*prefix, *item["loc"]))
        found.append({"field": location or "body", "message": item["msg"]})
    return found


def parse_generic(data: Any) -> ArticleEvent:
    """Validate a decoded generic-contract body, or raise `InvalidPayload`."""
    if not isinstance(data, dict):
        raise InvalidPayload([{"field": "body", "message": "must be a JSON object"}])
    try:
        envelope = Envelope.model_validate(data)
    except ValidationError as exc:
        raise InvalidPayload(_errors(exc)) from exc
    schema: type[ArticleIn | ArticleRef]
    schema = ArticleRef if envelope.event == "article.unpublished" else ArticleIn
    try:
        article = schema.model_validate(envelope.article)
    except ValidationError as exc:
        raise InvalidPayload(_errors(exc, ("article",))) from exc
    return ArticleEvent(delivery_id=envelope.delivery_id, event=envelope.event, article=article)
