"""A real headless Chromium (the system's package), driven by Playwright, that can reach
nothing but loopback: every other request is answered by the test or refused."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, Request, Route, sync_playwright

CHROMIUM = os.environ.get("SYNDICATE_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BUILT = Path(__file__).resolve().parents[2] / "build" / "screenshots"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run scripts/browser, which installs it")
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            # Resolve no name but loopback's, so nothing can leave the machine.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
        ],
    )
    yield browser
    browser.close()


class Outside:
    """Requests the page tried to send off loopback: recorded, and answered with a stub page
    (or, for a redirect's next hop, which Chromium does not route, left unresolvable)."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.loopback: list[Request] = []

    def seen(self, request: Request) -> None:
        if urlsplit(request.url).hostname in LOOPBACK:
            self.loopback.append(request)
        elif request.url not in self.urls:
            self.urls.append(request.url)

    def handle(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK:
            # Fetched here without following redirects, so that the browser follows them
            # itself and each hop comes back through this handler.
            route.fulfill(response=route.fetch(max_redirects=0))
            return
        if url not in self.urls:
            self.urls.append(url)
        route.fulfill(status=200, content_type="text/html", body="<title>intercepted</title>")


@pytest.fixture
def outside() -> Outside:
    return Outside()


@pytest.fixture
def context(browser: Browser, outside: Outside) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 900, "height": 600})
    context.route("**/*", outside.handle)
    context.on("request", outside.seen)
    yield context
    context.close()


@pytest.fixture
def app_context(browser: Browser, outside: Outside) -> Iterator[BrowserContext]:
    """A browser for the review app: its own pages only, every request watched."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.on("request", outside.seen)
    yield context
    context.close()
    assert outside.urls == [], f"the app's pages asked for something off loopback: {outside.urls}"


def screenshot_path(name: str) -> Path:
    """Where a screenshot goes: build/screenshots/, or the README's own docs/screenshots/ when
    SYNDICATE_UPDATE_SCREENSHOTS=1 asks for them to be renewed (the suite never rewrites
    tracked files otherwise)."""
    folder = SCREENSHOTS if os.environ.get("SYNDICATE_UPDATE_SCREENSHOTS") == "1" else BUILT
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
