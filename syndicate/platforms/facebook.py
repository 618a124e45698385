"""A Facebook Page: a message, and the link beside it (Facebook builds the card from the
page's Open Graph tags)."""

from __future__ import annotations

from typing import Any, ClassVar

from syndicate.platforms.base import Draft, Limits, Platform


class Facebook(Platform):
    name = "facebook"
    # https://developers.facebook.com/docs/pages-api/posts names no limit; 63,206 is the
    # figure third parties quote.
    limits: ClassVar[Limits] = Limits(max_length=63_206, unit="characters")
    link_travels_separately = True

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        return {"message": draft.text, "link": draft.link}
