"""Conditional GET: strong ETags, Last-Modified, 304s, and HEAD."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request, Response


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    # If-None-Match uses the weak comparison (RFC 9110 §13.1.2).
    bare = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == bare for candidate in header.split(","))


def not_modified(request: Request, etag: str, last_modified: datetime) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, etag)
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def cached_response(
    request: Request,
    body: bytes,
    content_type: str,
    etag: str,
    last_modified: datetime,
    max_age: int,
    extra_headers: dict[str, str] | None = None,
) -> Response:
    """A stored representation with its validators; 304 when the client's copy is current."""
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(last_modified, usegmt=True),
        "Cache-Control": f"public, max-age={max_age}",
        **(extra_headers or {}),
    }
    if not_modified(request, etag, last_modified):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(status_code=200, headers=headers, media_type=content_type)
    return Response(content=body, headers=headers, media_type=content_type)
