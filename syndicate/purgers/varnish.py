"""Varnish with the xkey vmod (varnish-modules): a PURGE request whose `xkey-purge` header
lists the keys; config/varnish.vcl soft-purges them, so Varnish fetches a fresh copy at the
next request and could still serve the old one if Syndicate were down."""

from __future__ import annotations

from typing import ClassVar

from syndicate.purgers.base import Purger


class Varnish(Purger):
    kind: ClassVar[str] = "varnish"
    keys_per_request: ClassVar[int] = 100

    def send(self, keys: list[str]) -> None:
        self.request(
            "PURGE", self.cache.url.rstrip("/") + "/", headers={"xkey-purge": " ".join(keys)}
        )
