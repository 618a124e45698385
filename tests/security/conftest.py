"""A web process of the test's own, so that what it keeps in memory can be looked at."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI

from syndicate.runtime import Runtime
from syndicate.web.app import create_app
from tests.servers import WebServer


@dataclass
class OwnWeb:
    server: WebServer
    app: FastAPI

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def own_web(runtime: Runtime, clean: None) -> Iterator[OwnWeb]:
    app = create_app(runtime)
    server = WebServer(app).start()
    yield OwnWeb(server, app)
    server.stop()
