"""Fetching images named by articles, safely: http(s) only, public addresses only (unless the
operator allows private ones, or names hosts to trust), redirects followed one hop at a time,
size, time and type limited.

The address is checked when the connection is made, against the very address it is made to,
so a name that resolves to a public address for a check and to a private one for the
connection (DNS rebinding) is never fetched from.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.connection import create_connection

from syndicate.http import make_session

MAX_REDIRECTS = 3


class FetchRefused(Exception):
    """The image was not fetched; the message says why (it is logged, never shown to readers)."""


class AddressPolicy:
    """Which addresses a host may be connected at."""

    def __init__(self, allow_private: bool, allowed_hosts: frozenset[str]) -> None:
        self.allow_private = allow_private
        self.allowed_hosts = allowed_hosts

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses `host` may be reached at, or `FetchRefused` if any it has is private."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise FetchRefused(f"cannot resolve {host}") from exc
        addresses = [str(info[4][0]) for info in infos]
        if self.allow_private or host.lower() in self.allowed_hosts:
            return addresses
        for address in addresses:
            if not ipaddress.ip_address(address.split("%", 1)[0]).is_global:
                raise FetchRefused(f"{host} resolves to a non-public address")
        return addresses


def _connect(connection: HTTPConnection, policy: AddressPolicy) -> socket.socket:
    last: OSError | None = None
    for address in policy.addresses(connection.host, connection.port):
        try:
            return create_connection(
                (address, connection.port),
                connection.timeout,
                source_address=connection.source_address,
                socket_options=connection.socket_options,
            )
        except OSError as exc:
            last = exc
    raise FetchRefused(f"cannot connect to {connection.host}: {last}")


def _session(policy: AddressPolicy) -> requests.Session:
    """A session whose every connection is made only to an address the policy allows."""

    class Connection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _connect(self, policy)

    class SecureConnection(HTTPSConnection):  # TLS still checks the host name, not the address
        def _new_conn(self) -> socket.socket:
            return _connect(self, policy)

    class Pool(HTTPConnectionPool):
        ConnectionCls = Connection

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = SecureConnection

    class Adapter(HTTPAdapter):
        def init_poolmanager(
            self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
        ) -> None:
            super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": SecurePool}

    session = make_session()
    session.mount("http://", Adapter())
    session.mount("https://", Adapter())
    return session


def fetch_image(
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
    with _session(AddressPolicy(allow_private, allowed_hosts)) as session:
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https"):
                raise FetchRefused(f"scheme {parts.scheme!r} is not fetched")
            if not parts.hostname:
                raise FetchRefused("no host")
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
                return _image(response, max_bytes, deadline)
    raise FetchRefused("too many redirects")


def _image(response: requests.Response, max_bytes: int, deadline: float) -> tuple[bytes, str]:
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
