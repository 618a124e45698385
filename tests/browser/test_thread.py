"""A thread in Chromium: an editor splits a part of a long story's thread in the review app,
approves it, and every part reaches Mastodon once, in order, each answering the one before.
The stack is its own: a database, a Redis prefix, the web app and a worker with a Mastodon
channel that threads."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
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
from tests.fakes.mastodon_mock import TOKEN, MastodonMock
from tests.people import PASSWORD
from tests.servers import WebServer, WorkerProcess, wait_until


@pytest.fixture
def threading_stack(
    runtime: Runtime, stack_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[Client, Runtime, MastodonMock]]:
    mastodon = MastodonMock()
    config = tmp_path / "thread.toml"
    config.write_text(f"""
[site]
title = "Threads"
[[channels]]
name = "toots"
platform = "mastodon"
url = "{mastodon.url}"
secret_env = "THREAD_MASTODON_TOKEN"
thread = "auto"
max_length = 400
""")
    prefix = f"syndicate-thread-{uuid.uuid4().hex[:8]}:"
    with fresh_database() as url:
        env = {
            **stack_env,
            "SYNDICATE_DATABASE_URL": url,
            "SYNDICATE_REDIS_PREFIX": prefix,
            "SYNDICATE_CONFIG": str(config),
            "THREAD_MASTODON_TOKEN": TOKEN,
        }
        settings = runtime.settings.model_copy(
            update={"database_url": url, "redis_prefix": prefix, "config": config}
        )
        own = build_runtime(settings)
        os.environ["THREAD_MASTODON_TOKEN"] = TOKEN  # for the web app's previews
        with own.factory.begin() as session:
            create_user(session, "founder-9", PASSWORD, Role.ADMIN, timezone="UTC")
            create_user(session, "editor-9", PASSWORD, Role.APPROVER, timezone="UTC")
        web = WebServer(create_app(own)).start()
        worker = WorkerProcess(env, tmp_path / "worker.log").start()
        try:
            secret = WEBHOOK_SECRETS.split(",")[0]
            yield Client(web.url, secret, API_TOKEN), own, mastodon
        finally:
            worker.stop()
            web.stop()
            own.engine.dispose()
            mastodon.stop()


def test_an_editor_splits_a_part_and_the_thread_goes_out_once_in_order(
    app_context: BrowserContext, threading_stack: tuple[Client, Runtime, MastodonMock]
) -> None:
    client, own, mastodon = threading_stack
    summary = " ".join(f"Step {n} of the night timetable, explained." for n in range(24))
    assert client.send(envelope(article("thread-ui", summary=summary))).status_code == 202

    def composed() -> Post | None:
        with own.factory() as session:
            return session.scalars(select(Post).where(Post.article_id == "thread-ui")).first()

    post = wait_until(composed, timeout=30)
    parts = [post.text, *post.extras["thread"]]
    assert len(parts) >= 3

    before = mastodon.count_statuses()
    page = sign_in(app_context, client, "editor-9")
    page.goto(f"{client.base_url}/review/posts/{post.id}")
    expect(page.locator("[data-thread-part]")).to_have_count(len(parts) - 1)
    text = page.get_by_label("Post text")
    typed = text.input_value()
    assert typed.count("\n---\n") == len(parts) - 1
    cut = parts[1].index(". Step", len(parts[1]) // 2) + 1  # part 2 split in two
    halves = f"{parts[1][:cut]}\n---\n{parts[1][cut:].strip()}"
    text.fill(typed.replace(parts[1], halves, 1))
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".notice")).to_have_text("Approved.")
    expect(page.locator("[data-thread-part]")).to_have_count(len(parts))
    parts.insert(2, parts[1][cut:].strip())

    def chain() -> list[str] | None:
        with own.factory() as session:
            made = session.scalars(
                select(Delivery.remote_id)
                .where(Delivery.post_id == post.id, Delivery.outcome.in_(["sent", "replied"]))
                .order_by(Delivery.id)
            ).all()
        return [str(i) for i in made] if len(made) == len(parts) else None

    ids = wait_until(chain, timeout=60)
    assert mastodon.count_statuses() == before + len(parts)
    statuses = [mastodon.status(i) for i in ids]
    assert [s.get("in_reply_to_id") for s in statuses] == [None, *ids[:-1]]
    assert re.search(r"2/\d", statuses[1]["content"]) and "Step" in statuses[1]["content"]
