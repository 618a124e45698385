"""What every edge-cache purger is: the cache it purges (a protocol, so purgers depend on
neither the site file nor the database) and how a purge fails."""

from __future__ import annotations

import email.utils
import time
from typing import Any, ClassVar, Protocol

import requests


class CacheOptions(Protocol):
    """A `[[caches]]` table of the site file."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def service_id(self) -> str: ...
    @property
    def zone(self) -> str: ...
    @property
    def timeout_seconds(self) -> float: ...
    def token(self) -> str: ...


class PurgeError(Exception):
    """A purge that did not go through. `retry_after`: the cache's own wait, in seconds;
    `permanent`: trying again cannot help (a refused token, an unknown zone)."""

    def __init__(
        self, message: str, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(message)
        self.message, self.retry_after, self.permanent = message, retry_after, permanent


class Purger:
    """Purges keys (surrogate keys, cache tags) from one cache."""

    kind: ClassVar[str]
    # Keys one request may carry.
    keys_per_request: ClassVar[int] = 1

    def __init__(self, cache: CacheOptions, session: requests.Session) -> None:
        self.cache = cache
        self.session = session

    def purge(self, keys: list[str]) -> None:
        for start in range(0, len(keys), self.keys_per_request):
            self.send(keys[start : start + self.keys_per_request])

    def send(self, keys: list[str]) -> None:
        raise NotImplementedError

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(
                method, url, timeout=(5.0, self.cache.timeout_seconds), **kwargs
            )
        except requests.RequestException as exc:
            raise PurgeError(f"{self.cache.name}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise_for_response(self.cache.name, response)
        return response


def raise_for_response(name: str, response: requests.Response) -> None:
    status = response.status_code
    wait = retry_after(response.headers.get("Retry-After"))
    permanent = status in (400, 401, 403, 404)
    detail = response.text[:200].replace("\n", " ")
    raise PurgeError(f"{name}: HTTP {status} {detail}", wait, permanent)


def retry_after(value: str | None) -> float | None:
    """A Retry-After header, in seconds or as an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
