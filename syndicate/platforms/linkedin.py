"""LinkedIn: 3000 characters of "little" text, every reserved character escaped; the link
travels in the article content block, whose card LinkedIn does not scrape itself."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from syndicate.platforms.base import Draft, Limits, Platform
from syndicate.text import utf16_length

# https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/little-text-format
# Unescaped, these can make LinkedIn cut the post short.
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


class LinkedIn(Platform):
    name = "linkedin"
    # 3000 for `commentary` (secondary sources); counted in UTF-16 units, as LinkedIn's
    # JavaScript does, which is never less than the characters a person sees.
    limits: ClassVar[Limits] = Limits(max_length=3000, unit="characters")
    link_travels_separately = True

    def measure(self, text: str) -> int:
        return utf16_length(text)

    def escape(self, text: str) -> str:
        return _RESERVED.sub(r"\\\1", text)

    def hashtag(self, word: str) -> str:
        return "{hashtag|\\#|" + word + "}"

    def finish(self, draft: Draft) -> Draft:
        article = draft.extras.get("article") or {}
        draft.extras["content"] = {
            "article": {
                "source": draft.link,
                "title": article.get("title", ""),
                "description": article.get("summary", ""),
            }
        }
        return draft

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        return {
            "author": self.channel.target,
            "commentary": draft.text,
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "content": draft.extras.get("content"),
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
