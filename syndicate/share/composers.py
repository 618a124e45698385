"""Share-text composers for the targets that are not among the delivery platforms.

Each is a `Platform` that never sends: it only says how the target counts and what it needs,
so share text goes through the same `compose()` fitting as the team's posts."""

from __future__ import annotations

from typing import ClassVar

from syndicate.platforms.base import Draft, Limits, Platform
from syndicate.platforms.bluesky import Bluesky, shorten_links
from syndicate.platforms.telegram import Telegram
from syndicate.text import grapheme_count, utf16_length


class BlueskyShare(Bluesky):
    """The compose intent takes plain text with full links; the app shows and counts each link
    in its short form, so the text is measured as it will be shortened."""

    link_travels_separately = False

    def finish(self, draft: Draft) -> Draft:
        return draft

    def measure(self, text: str) -> int:
        return grapheme_count(shorten_links(text, "")[0])

    def problems(self, draft: Draft) -> list[str]:
        return Platform.problems(self, draft)


class TelegramShare(Telegram):
    """t.me/share/url takes the link in its own parameter and the text as plain text."""

    link_travels_separately = True

    def escape(self, text: str) -> str:
        return text

    def measure(self, text: str) -> int:
        return utf16_length(text)


class RedditShare(Platform):
    # https://www.reddit.com/dev/api#POST_api_submit: a link post's title is at most 300.
    name = "reddit"
    limits: ClassVar[Limits] = Limits(max_length=300, unit="characters")
    link_travels_separately = True


class WhatsAppShare(Platform):
    # wa.me/?text= opens a chat with the text ready; a WhatsApp message holds 65,536.
    name = "whatsapp"
    limits: ClassVar[Limits] = Limits(max_length=65536, unit="characters")


class EmailShare(Platform):
    # The body of a mailto: link; kept short because some mail clients cut long links.
    name = "email"
    limits: ClassVar[Limits] = Limits(max_length=1000, unit="characters")
