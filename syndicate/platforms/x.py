"""X (Twitter): 280 by weighted length, as twitter-text v3 counts it."""

from __future__ import annotations

from typing import Any, ClassVar

from twitter_text import parse_tweet

from syndicate.platforms.base import Draft, Limits, Platform


class X(Platform):
    name = "x"
    # https://docs.x.com/resources/fundamentals/counting-characters: weights from
    # twitter-text config v3; every URL with a valid TLD costs 23; an emoji sequence costs 2.
    limits: ClassVar[Limits] = Limits(max_length=280, unit="weighted characters")

    def measure(self, text: str) -> int:
        return int(parse_tweet(text).weightedLength)

    def problems(self, draft: Draft) -> list[str]:
        found = super().problems(draft)
        if draft.text and not parse_tweet(draft.text).valid and not found:
            found.append("X would refuse this text (it holds a character X does not accept)")
        return found

    def payload(self, draft: Draft, idempotency_key: str) -> dict[str, Any]:
        return {"text": draft.text}
