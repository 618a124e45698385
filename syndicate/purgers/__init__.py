"""Edge caches Syndicate purges when a feed or card changes, one module each."""

from __future__ import annotations

from syndicate.purgers.base import CacheOptions, PurgeError, Purger
from syndicate.purgers.cloudflare import Cloudflare
from syndicate.purgers.fastly import Fastly
from syndicate.purgers.varnish import Varnish

PURGERS: dict[str, type[Purger]] = {p.kind: p for p in (Varnish, Fastly, Cloudflare)}

__all__ = ["PURGERS", "CacheOptions", "PurgeError", "Purger"]
