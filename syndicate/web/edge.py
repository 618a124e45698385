"""What edge caches in front of the service (Varnish, Fastly, Cloudflare, any CDN) are told:
keep a response for long, since it is purged by key the moment it changes, while browsers and
readers keep to the short Cache-Control."""

from __future__ import annotations

from collections.abc import Iterable


def edge_headers(keys: Iterable[str], max_age: int) -> dict[str, str]:
    listed = list(keys)
    return {
        "Surrogate-Key": " ".join(listed),  # Varnish (xkey) and Fastly
        "Cache-Tag": ",".join(listed),  # Cloudflare
        "Surrogate-Control": f"max-age={max_age}",
        "CDN-Cache-Control": f"max-age={max_age}",
    }
