"""The generic contract, for any CMS: a body in Syndicate's own shape, signed with
Syndicate-Signature, its delivery id inside the signed body."""

from __future__ import annotations

from typing import Any

from syndicate import signatures
from syndicate.cms.adapter import Cms
from syndicate.cms.contract import ArticleEvent, parse_generic


def parse(data: Any, body: bytes) -> ArticleEvent:
    return parse_generic(data)


GENERIC = Cms("articles", signatures.HEADER, signatures.verify, parse)
