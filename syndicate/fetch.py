"""Fetching images named by articles, safely: http(s) only, public addresses only (unless the
operator allows private ones, or names hosts to trust), redirects followed one hop at a time,
size, time and type limited.

The address is checked when the connection is made, against the very address it is made to,
so a name that resolves to a public address for a check and to a private one for the
connection (DNS rebinding) is never fetched from.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
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
        if host.lower() not in self.allowed_hosts and is_reserved_name(host):
            raise FetchRefused(f"{host} is a name reserved for examples and tests")
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise FetchRefused(f"cannot resolve {host}") from exc
        addresses = [str(info[4][0]) for info in infos]
        if self.allow_private or host.lower() in self.allowed_hosts:
            return addresses
        for address in addresses:
            if not is_public(ipaddress.ip_address(address.split("%", 1)[0])):
                raise FetchRefused(f"{host} resolves to a non-public address")
        return addresses


# RFC 2606 and RFC 6761: names that never resolve on the public internet, so no lookup of
# one is worth sending to a resolver.
RESERVED_SUFFIXES = (
    ".example",
    ".invalid",
    ".test",
    ".example.com",
    ".example.net",
    ".example.org",
)


def is_reserved_name(host: str) -> bool:
    name = "." + host.lower().rstrip(".")
    return name.endswith(RESERVED_SUFFIXES) or name in (
        ".example.com",
        ".example.net",
        ".example.org",
    )


# IPv6 ranges that carry an IPv4 address in their last 32 bits, reached through it.
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `address` is one on the public internet, looking through every IPv6 form that
    embeds an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) to the address inside."""
    if address.is_multicast or not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return True
    if address.is_site_local:
        return False
    embedded = [address.ipv4_mapped, address.sixtofour]
    if address.teredo:
        embedded.extend(address.teredo)
    if address in _IPV4_COMPATIBLE or any(address in net for net in _NAT64):
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return all(is_public(inner) for inner in embedded if inner is not None)


def _connect(
    connection: HTTPConnection, policy: AddressPolicy, opened: list[socket.socket]
) -> socket.socket:
    last: OSError | None = None
    for address in policy.addresses(connection.host, connection.port):
        try:
            sock = create_connection(
                (address, connection.port),
                connection.timeout,
                source_address=connection.source_address,
                socket_options=connection.socket_options,
            )
        except OSError as exc:
            last = exc
        else:
            opened.append(sock)
            return sock
    raise FetchRefused(f"cannot connect to {connection.host}: {last}")


def _session(policy: AddressPolicy, opened: list[socket.socket]) -> requests.Session:
    """A session whose every connection is made only to an address the policy allows, each
    socket added to `opened`."""

    class Connection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _connect(self, policy, opened)

    class SecureConnection(HTTPSConnection):  # TLS still checks the host name, not the address
        def _new_conn(self) -> socket.socket:
            return _connect(self, policy, opened)

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
    """The image's bytes and media type, or `FetchRefused`, within `timeout` seconds in all
    (however slowly a server sends), whatever goes wrong. `allowed_hosts` are host names
    fetched from whatever address they have (an image server on the newsroom's own network),
    checked at every redirect like any other host."""
    fetcher = GuardedFetcher(allow_private, allowed_hosts, timeout)
    image = fetcher.get(url, {}, max_bytes, _only_images)
    return image.body, image.content_type


def _only_images(status: int, media_type: str) -> None:
    if status != 200:
        raise FetchRefused(f"HTTP {status}")
    if not media_type.startswith("image/"):
        raise FetchRefused(f"not an image: {media_type or 'no content type'}")


# What a hostile or broken server can make the fetch raise: a bad URL or Location, a broken
# chunked or compressed body, a connection cut off mid-way.
FETCH_FAILURES = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    ValueError,
)


def _shut(sockets: list[socket.socket]) -> None:
    for sock in list(sockets):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@dataclass(frozen=True)
class Fetched:
    """A guarded fetch's answer: its status, the address it came from after redirects, its
    media type and body (at most the size asked for)."""

    status: int
    url: str
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class GuardedFetcher:
    """Fetches of any kind, each held to the address policy, a size and a wall-clock deadline,
    redirects followed one hop at a time. An answer of any status comes back; only what kept
    the fetch from finishing raises `FetchRefused`."""

    def __init__(
        self,
        allow_private: bool = False,
        allowed_hosts: frozenset[str] = frozenset(),
        timeout: float = 10.0,
    ) -> None:
        self.policy = AddressPolicy(allow_private, allowed_hosts)
        self.timeout = timeout

    def get(
        self,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        accept: Callable[[int, str], None] | None = None,
    ) -> Fetched:
        """Fetch `url`; `accept` sees the final status and media type before the body is read,
        and raises `FetchRefused` to stop there."""
        return self._exchange("GET", url, headers, max_bytes, accept, None)

    def post(self, url: str, headers: dict[str, str], body: bytes, max_bytes: int) -> Fetched:
        """Send `body` to `url`, held to the same policy; a redirect is answered, not followed
        (a POST's body is not sent on to wherever a server points)."""
        return self._exchange("POST", url, headers, max_bytes, None, body)

    def _exchange(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        max_bytes: int,
        accept: Callable[[int, str], None] | None,
        body: bytes | None,
    ) -> Fetched:
        opened: list[socket.socket] = []
        watchdog = threading.Timer(self.timeout, _shut, args=(opened,))
        watchdog.daemon = True
        watchdog.start()
        started = time.monotonic()
        deadline = started + self.timeout
        try:
            with _session(self.policy, opened) as session:
                session.headers.update(headers)
                for _ in range(MAX_REDIRECTS + 1):
                    response = _request(session, url, deadline, method, body)
                    with response:
                        if response.is_redirect and method == "GET":
                            url = urljoin(url, response.headers.get("Location", ""))
                            continue
                        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
                        if accept is not None:
                            accept(response.status_code, media_type)
                        answer = _body(response, max_bytes, deadline)
                        headers = {k.lower(): v for k, v in response.headers.items()}
                        return Fetched(response.status_code, url, media_type, answer, headers)
                raise FetchRefused("too many redirects")
        except FetchRefused:
            raise
        except FETCH_FAILURES as exc:
            late = time.monotonic() - started >= self.timeout
            raise FetchRefused(
                "took too long" if late else f"failed: {type(exc).__name__}"
            ) from exc
        finally:
            watchdog.cancel()


def _request(
    session: requests.Session,
    url: str,
    deadline: float,
    method: str = "GET",
    body: bytes | None = None,
) -> requests.Response:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(f"scheme {parts.scheme!r} is not fetched")
    if not parts.hostname:
        raise FetchRefused("no host")
    return session.request(
        method,
        url,
        data=body,
        stream=True,
        allow_redirects=False,
        timeout=(3.0, max(0.1, deadline - time.monotonic())),
    )


def _body(response: requests.Response, max_bytes: int, deadline: float) -> bytes:
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
    if time.monotonic() > deadline:  # the watchdog cut a body off that had no length
        raise FetchRefused("took too long")
    return bytes(body)
