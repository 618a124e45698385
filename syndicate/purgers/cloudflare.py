"""Cloudflare: purge by cache tag, `POST /client/v4/zones/{zone}/purge_cache` with
`{"tags": [...]}` and a bearer API token; 429 carries the wait in Retry-After
(https://developers.cloudflare.com/api/resources/cache/methods/purge/)."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

from syndicate.purgers.base import PurgeError, Purger

API = "https://api.cloudflare.com"


class Cloudflare(Purger):
    kind: ClassVar[str] = "cloudflare"
    # Tags one purge call may carry.
    keys_per_request: ClassVar[int] = 30

    def send(self, keys: list[str]) -> None:
        base = (self.cache.url or API).rstrip("/")
        response = self.request(
            "POST",
            f"{base}/client/v4/zones/{quote(self.cache.zone, safe='')}/purge_cache",
            json={"tags": keys},
            headers={"Authorization": f"Bearer {self.cache.token()}"},
        )
        answer = response.json() if response.content else {}
        if not answer.get("success", False):
            errors = "; ".join(str(e.get("message", e)) for e in answer.get("errors", []))
            raise PurgeError(f"{self.cache.name}: refused: {errors or 'no reason given'}")
