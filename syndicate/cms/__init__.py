"""Inbound webhooks from CMSs: the generic contract every adapter maps onto, and the adapters,
one module each, by the path segment they are posted to (/hooks/<name>)."""

from __future__ import annotations

from syndicate.cms.adapter import Cms
from syndicate.cms.contract import (
    ARTICLE_ID_PATTERN,
    ArticleEvent,
    ArticleIn,
    ArticleRef,
    InvalidPayload,
    SyndicationIn,
    parse_generic,
    unknown_channels,
)
from syndicate.cms.generic import GENERIC
from syndicate.cms.ghost import GHOST
from syndicate.cms.wordpress import WORDPRESS

CMSS: dict[str, Cms] = {cms.name: cms for cms in (GENERIC, GHOST, WORDPRESS)}

__all__ = [
    "ARTICLE_ID_PATTERN",
    "CMSS",
    "ArticleEvent",
    "ArticleIn",
    "ArticleRef",
    "Cms",
    "InvalidPayload",
    "SyndicationIn",
    "parse_generic",
    "unknown_channels",
]
