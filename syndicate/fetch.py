"""Fetching images named by articles, safely: http(s) only, public addresses only (unless the
operator allows private ones, or names hosts to trust), redirects checked hop by hop, size, time
and type limited."""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

import requests

MAX_REDIRECTS = 3


class FetchRefused(Exception):
    """The image was not fetched; the message says why (it is logged, never shown to readers)."""


def _check_host(
    host: str | None, port: int, allow_private: bool, allowed_hosts: frozenset[str]
) -> None:
    if not host:
        raise FetchRefused("no host")
    if host.lower() in allowed_hosts:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port)}
    except OSError as exc:
        raise FetchRefused(f"cannot resolve {host}") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not allow_private and not ip.is_global:
            raise FetchRefused(f"{host} resolves to a non-public address")


def fetch_image(
    session: requests.Session,
    url: str,
    *,
    allow_private: bool = False,
    allowed_hosts: frozenset[str] = frozenset(),
    max_bytes: int = 10 * 1024 * 1024,
    timeout: float = 10.0,
) -> tuple[bytes, str]:
    """The image's bytes and media type, or `FetchRefused`. `allowed_hosts` are host names
    fetched from whatever address they have (an image server on the newsroom's own network),
    checked at every redirect like any other host."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(f"scheme {parts.scheme!r} is not fetched")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        _check_host(parts.hostname, port, allow_private, allowed_hosts)
        try:
            response = session.get(
                url,
                stream=True,
                allow_redirects=False,
                timeout=(3.0, max(0.1, deadline - time.monotonic())),
            )
        except requests.RequestException as exc:
            raise FetchRefused(f"request failed: {type(exc).__name__}") from exc
        with response:
            if response.is_redirect:
                url = urljoin(url, response.headers.get("Location", ""))
                continue
            if response.status_code != 200:
                raise FetchRefused(f"HTTP {response.status_code}")
            media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            if not media_type.startswith("image/"):
                raise FetchRefused(f"not an image: {media_type or 'no content type'}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchRefused(f"larger than {max_bytes} bytes")
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchRefused(f"larger than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise FetchRefused("took too long")
            return bytes(body), media_type
    raise FetchRefused("too many redirects")
