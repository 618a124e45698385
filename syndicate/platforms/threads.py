"""Threads: 500 characters where an emoji counts as its UTF-8 bytes, and at most 5 links."""

from __future__ import annotations

from typing import Any, ClassVar

from syndicate.platforms.base import Draft, Limits, Platform
from syndicate.text import graphemes, is_emoji, urls, utf8_length

# https://developers.facebook.com/docs/threads/posts: "Emojis are counted as the number of
# UTF-8 bytes"; https://developers.facebook.com/docs/threads/create-posts/text-attachments
MAX_LINKS = 5


class Threads(Platform):
    name = "threads"
    limits: ClassVar[Limits] = Limits(max_length=500, unit="characters")

    def measure(self, text: str) -> int:
        return sum(utf8_length(c) if is_emoji(c) else len(c) for c in graphemes(text))

    def problems(self, draft: Draft) -> list[str]:
        found = super().problems(draft)
        links = {draft.text[start:end] for start, end in urls(draft.text)}
        if len(links) > MAX_LINKS:
            found.append(f"{len(links)} different links; Threads allows {MAX_LINKS}")
        return found

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        return {"media_type": "TEXT", "text": draft.text, "link_attachment": draft.link}
