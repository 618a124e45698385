"""What a web process remembers because of a request is bounded, whatever the request."""

from __future__ import annotations

import uuid

import httpx

from syndicate.web.conditional import _accepts_gzip_remembered, accepts_gzip
from tests.security.conftest import OwnWeb


def test_made_up_feed_urls_never_reach_the_feed_cache_or_the_database(own_web: OwnWeb) -> None:
    cache = own_web.app.state.feed_cache
    with httpx.Client(base_url=own_web.url) as http:
        for _ in range(100):
            junk = f"/feeds/{uuid.uuid4().hex}{'j' * 6000}/rss.xml"
            response = http.get(junk)
            assert response.status_code == 404
            assert response.json()["error"] == "not_found"
        assert http.get("/feeds/tags/no-such-tag/rss.xml").status_code == 404
    assert list(cache.missing.items) == ["tags/no-such-tag/rss.xml"]
    assert not cache.found.items


def test_long_accept_encoding_values_are_read_but_never_remembered() -> None:
    _accepts_gzip_remembered.cache_clear()
    for n in range(300):
        assert accepts_gzip(b"gzip, " + str(n).encode() * 400)
    assert _accepts_gzip_remembered.cache_info().currsize == 0
    assert accepts_gzip(b"GZIP, deflate") and accepts_gzip(b"gzip,deflate")
    assert _accepts_gzip_remembered.cache_info().currsize == 1  # the same value, normalised
    assert not accepts_gzip(b"gzip;q=0") and not accepts_gzip(None)
