"""Telegram: HTML parse mode; 4096 characters after entity parsing, 1024 for a photo caption."""

from __future__ import annotations

import html
import re
from typing import Any, ClassVar

from syndicate.platforms.base import Draft, Limits, Platform
from syndicate.text import utf16_length

# https://core.telegram.org/bots/api#formatting-options: only <, > and & must be escaped,
# and only &lt; &gt; &amp; &quot; and numeric entities are understood.
_TAG = re.compile(r"<[^>]*>")
CAPTION_LIMIT = 1024


def escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Telegram(Platform):
    name = "telegram"
    limits: ClassVar[Limits] = Limits(max_length=4096, unit="characters")

    @property
    def max_length(self) -> int:
        if self.channel.photo:
            return self.channel.max_length or CAPTION_LIMIT
        return super().max_length

    def measure(self, text: str) -> int:
        # Telegram counts the text left after parsing entities, in UTF-16 code units.
        return utf16_length(html.unescape(_TAG.sub("", text)))

    def escape(self, text: str) -> str:
        return escape_html(text)

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        image = (draft.extras.get("article") or {}).get("image")
        if self.channel.photo and image:
            return {
                "chat_id": self.channel.url,
                "photo": image["url"],
                "caption": draft.text,
                "parse_mode": "HTML",
            }
        return {
            "chat_id": self.channel.url,
            "text": draft.text,
            "parse_mode": "HTML",
            "link_preview_options": {"url": draft.link, "prefer_large_media": True},
        }
