"""Every outbound session: Syndicate's User-Agent, a timeout on every request, and no proxy
picked up from the environment."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from syndicate import __version__
from syndicate.http import TIMEOUT, make_session


class Recording(HTTPAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[requests.PreparedRequest, dict[str, Any]]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append((request, kwargs))
        response = requests.Response()
        response.status_code, response.request = 204, request
        return response


def test_a_request_that_names_no_timeout_gets_one_and_names_syndicate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    session = make_session()
    recording = Recording()
    session.mount("https://", recording)
    session.get("https://platform.example/api")
    session.post("https://platform.example/api", timeout=3)
    (first, first_options), (_, second_options) = recording.sent
    assert first.headers["User-Agent"].startswith(f"Syndicate/{__version__} ")
    assert first_options["timeout"] == TIMEOUT and second_options["timeout"] == 3
    assert not first_options["proxies"]  # the environment's proxy is not used
