"""What the service shows without sign-in, and the secrets it refuses to run with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from syndicate.config import ConfigError
from syndicate.runtime import Runtime, build_runtime
from syndicate.settings import Settings
from syndicate.web.app import create_app
from tests.client import Client
from tests.conftest import METRICS_TOKEN
from tests.servers import WebServer


def test_metrics_need_a_token_outside_the_embedded_mode(client: Client) -> None:
    refused = client.http.get("/metrics")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert "SYNDICATE_METRICS_TOKEN" in refused.json()["message"]
    wrong = client.http.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    for token in (METRICS_TOKEN, client.token):
        allowed = client.http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert allowed.status_code == 200 and "syndicate_posts" in allowed.text


@pytest.fixture
def open_but_undocumented(runtime: Runtime) -> Iterator[WebServer]:
    settings = runtime.settings.model_copy(update={"public_metrics": True, "public_docs": False})
    server = WebServer(create_app(replace(runtime, settings=settings))).start()
    yield server
    server.stop()


def test_metrics_can_be_made_public_and_the_api_docs_private(
    open_but_undocumented: WebServer, client: Client
) -> None:
    with httpx.Client(base_url=open_but_undocumented.url) as http:
        assert http.get("/metrics").status_code == 200
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert http.get(path).status_code == 404
    assert client.http.get("/openapi.json").status_code == 200  # public by default


@pytest.mark.parametrize(
    ("variable", "field"),
    [
        ("SYNDICATE_WEBHOOK_SECRETS", "webhook_secrets"),
        ("SYNDICATE_API_TOKEN", "api_token"),
        ("SYNDICATE_METRICS_TOKEN", "metrics_token"),
        ("SYNDICATE_SECRET_KEY", "secret_key"),
    ],
)
def test_short_secrets_are_refused_outside_the_embedded_mode(
    settings: Settings, variable: str, field: str
) -> None:
    short = "x" * 31
    value = f"{'y' * 40},{short}" if field == "webhook_secrets" else short
    weak = Settings(**{**settings.model_dump(), field: value})
    with pytest.raises(ConfigError, match=variable):
        build_runtime(weak)
    embedded = Settings(**{**settings.model_dump(), field: value, "database_url": "sqlite:///x.db"})
    assert embedded.weak_secrets() == []
