"""Accounts connected in Chromium, end to end: an admin connects a Mastodon account through the
server's own consent page (mastodon_mock plays the server) and a Bluesky account with an app
password checked at the real PDS, publishes an article, approves both posts, and each reaches
its platform. Afterwards the database, dumped with pg_dump, holds none of the credentials'
bytes. The stack is its own: a database, a Redis prefix, the web app and a worker, with no
channel in its site file."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy import select

from syndicate.models import Delivery, Post, Role
from syndicate.runtime import Runtime, build_runtime
from syndicate.users import create_user
from syndicate.web.app import create_app
from tests.browser.test_review_app import sign_in
from tests.client import Client, article, envelope
from tests.conftest import API_TOKEN, WEBHOOK_SECRETS
from tests.databases import fresh_database
from tests.fakes.mastodon_mock import MastodonMock
from tests.peers.atproto import RealPDS
from tests.people import PASSWORD
from tests.servers import WebServer, WorkerProcess, free_port, wait_until

HANDLE = "connected.test"
APP_PASSWORD = "the desk's app password"


@dataclass
class Stack:
    client: Client
    runtime: Runtime
    mastodon: MastodonMock
    pds: RealPDS
    database_url: str


@pytest.fixture
def connecting_stack(
    runtime: Runtime, stack_env: dict[str, str], tmp_path: Path
) -> Iterator[Stack]:
    mastodon, pds = MastodonMock(), RealPDS()
    pds.create_account(HANDLE, APP_PASSWORD)
    config = tmp_path / "connect.toml"
    config.write_text('[site]\ntitle = "Connected"\n')
    prefix = f"syndicate-connect-{uuid.uuid4().hex[:8]}:"
    port = free_port()
    try:
        with fresh_database() as url:
            env = {
                **stack_env,
                "SYNDICATE_DATABASE_URL": url,
                "SYNDICATE_REDIS_PREFIX": prefix,
                "SYNDICATE_CONFIG": str(config),
                "SYNDICATE_BASE_URL": f"http://127.0.0.1:{port}",
            }
            settings = runtime.settings.model_copy(
                update={
                    "database_url": url,
                    "redis_prefix": prefix,
                    "config": config,
                    "base_url": f"http://127.0.0.1:{port}",
                    "bluesky_entryway_url": pds.url,
                    "plc_directory_url": pds.plc_url,
                }
            )
            own = build_runtime(settings)
            with own.factory.begin() as session:
                create_user(session, "founder-7", PASSWORD, Role.ADMIN, timezone="UTC")
            web = WebServer(create_app(own), port).start()
            worker = WorkerProcess(env, tmp_path / "worker.log").start()
            try:
                secret = WEBHOOK_SECRETS.split(",")[0]
                yield Stack(Client(web.url, secret, API_TOKEN), own, mastodon, pds, url)
            finally:
                worker.stop()
                web.stop()
                own.engine.dispose()
    finally:
        mastodon.stop()
        pds.stop()


def test_an_admin_connects_mastodon_and_bluesky_and_the_approved_posts_arrive(
    app_context: BrowserContext, connecting_stack: Stack
) -> None:
    stack = connecting_stack
    client, own = stack.client, stack.runtime
    page = sign_in(app_context, client, "founder-7")
    page.goto(f"{client.base_url}/review/channels")
    page.get_by_role("link", name="Connect an account").click()

    mastodon_form = page.locator("form", has=page.get_by_role("button", name="Connect Mastodon"))
    mastodon_form.get_by_label("Channel name").fill("toots")
    mastodon_form.get_by_label("Server").fill(stack.mastodon.url)
    mastodon_form.get_by_role("button", name="Connect Mastodon").click()
    page.get_by_role("link", name=f"Continue to {stack.mastodon.url}").click()
    page.locator("button[name=username]").first.click()  # the server's consent page
    expect(page.locator(".notice")).to_contain_text("Connected")

    page.get_by_role("link", name="Connect an account").click()
    sky_form = page.locator("form", has=page.get_by_role("button", name="Connect Bluesky"))
    sky_form.get_by_label("Channel name").fill("sky")
    sky_form.get_by_label("Handle or DID").fill(HANDLE)
    sky_form.get_by_label("App password").fill("not the password")
    sky_form.get_by_role("button", name="Connect Bluesky").click()
    expect(page.get_by_role("alert")).to_contain_text("bluesky refused the credentials")
    sky_form = page.locator("form", has=page.get_by_role("button", name="Connect Bluesky"))
    sky_form.get_by_label("Channel name").fill("sky")
    sky_form.get_by_label("Handle or DID").fill(HANDLE)
    sky_form.get_by_label("App password").fill(APP_PASSWORD)
    sky_form.get_by_role("button", name="Connect Bluesky").click()
    expect(page.locator(".notice")).to_contain_text("Connected")
    expect(page.locator("[data-source=app]")).to_have_count(2)

    art = article("connected-1", title="Ferry timetable returns", summary="From Monday, hourly.")
    assert client.send(envelope(art)).status_code == 202

    def composed() -> list[Post] | None:
        with own.factory() as session:
            found = session.scalars(select(Post).where(Post.article_id == "connected-1")).all()
        return list(found) if len(found) == 2 else None

    for post in wait_until(composed, timeout=60):
        page.goto(f"{client.base_url}/review/posts/{post.id}")
        page.get_by_role("button", name="Approve").click()
        expect(page.locator(".notice")).to_have_text("Approved.")

    def delivered() -> dict[str, Delivery] | None:
        with own.factory() as session:
            rows = session.execute(
                select(Post.channel, Delivery)
                .join(Delivery, Delivery.post_id == Post.id)
                .where(Post.article_id == "connected-1", Delivery.outcome == "sent")
            ).all()
        found = {channel: row for channel, row in rows}
        return found if len(found) == 2 else None

    sent = wait_until(delivered, timeout=90)
    status = stack.mastodon.status(str(sent["toots"].remote_id))
    assert "Ferry timetable returns" in status["content"]
    uri = str(sent["sky"].remote_id)
    record = stack.pds.get(
        "com.atproto.repo.getRecord",
        repo=uri.split("/")[2],
        collection="app.bsky.feed.post",
        rkey=uri.rsplit("/", 1)[-1],
    ).json()
    assert record["value"]["text"].startswith("Ferry timetable returns")

    toots = own.config.channel("toots")
    assert toots is not None and toots.secret()
    dump = subprocess.run(
        ["pg_dump", "--data-only", stack.database_url.replace("+psycopg", "")],
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    assert b"INSERT INTO" in dump or b"COPY public.channels" in dump
    for secret in (toots.secret(), APP_PASSWORD):
        assert secret.encode() not in dump
