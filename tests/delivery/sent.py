"""A sent post as edits and deletes take it, from what the platform answered to the send."""

from __future__ import annotations

from syndicate.platforms.base import Draft, Receipt, SentPost


def sent(receipt: Receipt) -> SentPost:
    draft = Draft("Bridge approved https://news.example.com/a", "https://news.example.com/a")
    return SentPost(receipt, "syndicate-post-1-1", "syndicate-post-1-1-change-1", draft)
