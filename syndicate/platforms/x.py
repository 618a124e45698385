"""X (Twitter): 280 by weighted length, as twitter-text v3 counts it."""

from __future__ import annotations

import time
from typing import Any, ClassVar

import requests
from twitter_text import parse_tweet

from syndicate.platforms.base import Draft, Limits, Platform, Receipt

API = "https://api.x.com"


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

    can_delete = True

    def _url(self, path: str) -> str:
        return f"{(self.channel.url or API).rstrip('/')}{path}"

    def send(self, draft: Draft, idempotency_key: str) -> Receipt:
        # https://docs.x.com/x-api/posts/creation-of-a-post, with an OAuth 2.0 user token.
        response = self.request(
            "POST",
            self._url("/2/tweets"),
            json=self.payload(draft, idempotency_key),
            headers={"Authorization": f"Bearer {self.token()}"},
        )
        post_id = str(response.json()["data"]["id"])
        return Receipt(response.status_code, post_id, f"https://x.com/i/web/status/{post_id}")

    def check(self) -> str:
        response = self.request(
            "GET", self._url("/2/users/me"), headers={"Authorization": f"Bearer {self.token()}"}
        )
        return f"@{response.json()['data']['username']}"

    def delete(self, receipt: Receipt) -> None:
        self.request(
            "DELETE",
            self._url(f"/2/tweets/{receipt.remote_id}"),
            headers={"Authorization": f"Bearer {self.token()}"},
        )

    def wait_signal(self, response: requests.Response) -> float | None:
        # https://docs.x.com/fundamentals/rate-limits: x-rate-limit-reset is epoch seconds.
        reset = response.headers.get("x-rate-limit-reset", "")
        if reset.isdigit():
            return max(0.0, int(reset) - time.time())
        return super().wait_signal(response)
