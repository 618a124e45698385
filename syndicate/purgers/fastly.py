"""Fastly: a soft purge of one surrogate key at a time,
`POST /service/{service_id}/purge/{key}` with `Fastly-Key` and `Fastly-Soft-Purge: 1`
(https://www.fastly.com/documentation/reference/api/purging/)."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import quote

from syndicate.purgers.base import Purger

API = "https://api.fastly.com"


class Fastly(Purger):
    kind: ClassVar[str] = "fastly"

    def send(self, keys: list[str]) -> None:
        service = f"{(self.cache.url or API).rstrip('/')}/service/{quote(self.cache.service_id)}"
        for key in keys:
            self.request(
                "POST",
                f"{service}/purge/{quote(key, safe='')}",
                headers={
                    "Fastly-Key": self.cache.token(),
                    "Fastly-Soft-Purge": "1",
                    "Accept": "application/json",
                },
            )
