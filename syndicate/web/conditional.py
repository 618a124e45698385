"""Conditional GET for everything served from stored bytes (feeds, cards, share images, share
pages): validators, 304s, HEAD and the choice of gzip, read one way for all of them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request, Response

Headers = list[tuple[bytes, bytes]]
# Accept-Encoding, If-None-Match and If-Modified-Since, as a request sent them.
Conditions = tuple[bytes | None, bytes | None, bytes | None]
# Readers send a handful of distinct values; longer ones are read each time, not remembered.
SHORT_ACCEPT_ENCODING = 64


def conditions_of(headers: Headers) -> Conditions:
    """Accept-Encoding, If-None-Match and If-Modified-Since, in one pass over the headers."""
    accept_encoding = if_none_match = if_modified_since = None
    for key, value in headers:
        if key == b"accept-encoding":
            accept_encoding = value
        elif key == b"if-none-match":
            if_none_match = value
        elif key == b"if-modified-since":
            if_modified_since = value
    return accept_encoding, if_none_match, if_modified_since


def accepts_gzip(accept_encoding: bytes | None) -> bool:
    if not accept_encoding:
        return False
    if len(accept_encoding) > SHORT_ACCEPT_ENCODING:
        return _accepts_gzip(accept_encoding)
    return _accepts_gzip_remembered(accept_encoding.lower().replace(b" ", b""))


@functools.lru_cache(maxsize=256)
def _accepts_gzip_remembered(accept_encoding: bytes) -> bool:
    return _accepts_gzip(accept_encoding)


def _accepts_gzip(accept_encoding: bytes) -> bool:
    for part in accept_encoding.decode("latin-1").split(","):
        coding, _, params = part.strip().partition(";")
        q = params.replace(" ", "").removeprefix("q=") if params else "1"
        if coding.strip().lower() in ("gzip", "*"):
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


def _matches(if_none_match: bytes, etags: Sequence[bytes]) -> bool:
    if if_none_match in etags:  # what a reader usually sends back: the one ETag it was given
        return True
    if if_none_match.strip() == b"*":
        return True
    # If-None-Match uses the weak comparison (RFC 9110 §13.1.2).
    offered = {tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")}
    return any(etag.removeprefix(b"W/") in offered for etag in etags)


def is_fresh(
    if_none_match: bytes | None,
    if_modified_since: bytes | None,
    etags: Sequence[bytes],
    last_modified: datetime,
) -> bool:
    """Whether the client's copy is current; `etags` are every tag it may hold for this
    representation (a gzipped feed's and the plain one's, say). If-None-Match, when sent,
    decides alone (RFC 9110 §13.2.2)."""
    if if_none_match is not None:
        return _matches(if_none_match, etags)
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since.decode("latin-1"))
            return last_modified.replace(microsecond=0) <= since
        except (TypeError, ValueError):
            return False
    return False


class PreparedResponse(Response):
    """A response whose status, headers and body were all made beforehand."""

    def __init__(self, status: int, headers: Headers, body: bytes) -> None:
        self.status_code = status
        self.body = body
        self.raw_headers = headers
        self.background = None


def cached_response(
    request: Request,
    body: bytes,
    content_type: str,
    etag: str,
    last_modified: datetime,
    cache_control: str,
    extra_headers: dict[str, str] | None = None,
) -> Response:
    """A stored representation with its validators; 304 when the client's copy is current."""
    validators = [
        (b"etag", etag.encode()),
        (b"last-modified", format_datetime(last_modified, usegmt=True).encode()),
        (b"cache-control", cache_control.encode()),
        *((k.lower().encode(), v.encode()) for k, v in (extra_headers or {}).items()),
    ]
    _, if_none_match, if_modified_since = conditions_of(request.scope["headers"])
    if is_fresh(if_none_match, if_modified_since, (etag.encode(),), last_modified):
        return PreparedResponse(304, validators, b"")
    headers = [
        *validators,
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    return PreparedResponse(200, headers, b"" if request.method == "HEAD" else body)
