"""First run in the browser, from a fresh data folder: `syndicate up`, open the home page,
land on set-up, create the administrator, send the test article and see its feed entry, card
and posts, name the site and see its feeds renamed, then sign out and in again."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import screenshot_path
from tests.servers import free_port, wait_until

PASSWORD = "first admin's password"


@pytest.fixture
def fresh_up(tmp_path: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env["SYNDICATE_DATA_DIR"] = str(tmp_path / "data")
    port = free_port()
    log = (tmp_path / "up.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "syndicate.cli", "up", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, timeout=90)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def test_a_new_installation_is_set_up_in_the_browser(
    app_context: BrowserContext, fresh_up: str
) -> None:
    page = app_context.new_page()
    page.goto(f"{fresh_up}/")
    expect(page).to_have_url(f"{fresh_up}/setup")
    page.get_by_label("Username").fill("founder")
    page.get_by_label("Your name").fill("The Founder")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create the administrator").click()
    expect(page.get_by_role("heading", name="Getting started")).to_be_visible()

    page.get_by_role("button", name="Send a test article").click()
    expect(page.get_by_role("status")).to_contain_text("on its way through the pipeline")

    def through_the_pipeline() -> bool:
        page.reload()
        card = page.get_by_role("link", name="its card").count() == 1
        return card and page.get_by_role("link", name="the feeds").count() == 1

    # The card and the feeds are made on queues of their own: either may be first.
    wait_until(through_the_pipeline, timeout=60)
    expect(page.get_by_role("link", name="the feeds")).to_be_visible()
    expect(page.locator(".previews")).to_contain_text("newsroom-hook")
    expect(page.locator(".previews")).to_contain_text("Hello from Syndicate")
    page.screenshot(path=screenshot_path("getting-started.png"), full_page=True)

    feed = page.request.get(f"{fresh_up}/feeds/rss.xml")
    assert "Hello from Syndicate" in feed.text()

    page.get_by_label("Title").fill("Harbour Gazette")
    page.get_by_label("Language (BCP 47, such as en or en-GB)").fill("en-GB")
    page.get_by_role("button", name="Save the site's details").click()
    expect(page.get_by_role("status")).to_contain_text("Every feed is being rendered again")
    expect(page.locator(".checklist")).to_contain_text("“Harbour Gazette”, in en-GB")

    def renamed() -> bool:
        channel = page.request.get(f"{fresh_up}/feeds/rss.xml").text()
        return "<title>Harbour Gazette</title>" in channel and "<language>en-GB" in channel

    wait_until(renamed, timeout=60)
    card = page.request.get(f"{fresh_up}/cards/syndicate-test-article")
    assert card.status == 200

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/review/login"))
    page.get_by_label("Username").fill("founder")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert page.request.get(f"{fresh_up}/setup").status == 404
