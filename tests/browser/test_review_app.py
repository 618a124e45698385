"""The review app in Chromium: sign in, find a pending post, watch the counter, approve it and
see it delivered; what viewers and approvers may do; a form without its CSRF token."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from syndicate.models import Role
from tests.browser.conftest import screenshot_path
from tests.client import Client
from tests.fakes.receiver import Receiver
from tests.people import PASSWORD, Person
from tests.review.test_api_roles import pending_post
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker")


def sign_in(context: BrowserContext, client: Client, username: str) -> Page:
    page = context.new_page()
    page.goto(f"{client.base_url}/review/")
    expect(page).to_have_url(re.compile(r"/review/login\?next="))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    return page


def test_a_reviewer_fixes_an_overlong_post_approves_it_and_it_is_delivered(
    app_context: BrowserContext, client: Client, people: dict[Role, Person], receiver: Receiver
) -> None:
    pending_post(client, "browser-2")
    post_id = pending_post(
        client,
        "browser-1",
        title="Harbour ferry returns after 40 years",
        summary="The ferry between the two harbours carried its first passengers since 1986.",
        tags=["Transport", "Harbour"],
    )

    page = sign_in(app_context, client, "approver-1")
    page.get_by_role("link", name="Queue").click()
    expect(page.get_by_role("heading", name="Harbour ferry returns after 40 years")).to_be_visible()
    page.screenshot(path=screenshot_path("review-queue.png"), full_page=True)
    page.locator(f'tr[data-post="{post_id}"]').get_by_role("link", name="newsroom-hook").click()
    expect(page).to_have_url(re.compile(rf"/review/posts/{post_id}$"))
    page.screenshot(path=screenshot_path("review-post.png"), full_page=True)

    text = page.get_by_label("Post text")
    counter = page.locator("#counter")
    approve = page.get_by_role("button", name="Approve")
    expect(approve).to_be_enabled()
    text.fill("Far too long. " * 800 + "https://news.example/2026/browser-1")
    expect(counter).to_have_class(re.compile(r"\bover\b"))
    expect(counter).to_have_text(re.compile(r"^11235 / 10000 characters$"))
    expect(approve).to_be_disabled()
    expect(page.locator("#problems")).to_contain_text("too long: 11235 characters")
    colour = counter.evaluate("el => getComputedStyle(el).color")
    assert colour in ("rgb(185, 28, 28)", "rgb(252, 165, 165)")  # the theme's red

    fixed = "Ferry back after 40 years https://news.example/2026/browser-1 #Transport"
    text.fill(fixed)
    expect(counter).not_to_have_class(re.compile(r"\bover\b"))
    expect(approve).to_be_enabled()
    approve.click()
    expect(page.locator(".notice")).to_have_text("Approved.")

    delivered = wait_until(
        lambda: [r for r in receiver.received("/newsroom") if r.json()["text"] == fixed]
    )
    assert len(delivered) == 1
    page.reload()
    expect(page.locator("h1 .status")).to_have_text("sent")
    expect(page.locator(".history")).to_contain_text("approver-1 approve")


def test_a_viewer_sees_the_post_but_cannot_change_it(
    app_context: BrowserContext, client: Client, people: dict[Role, Person]
) -> None:
    post_id = pending_post(client, "browser-3")
    page = sign_in(app_context, client, "viewer-1")
    page.goto(f"{client.base_url}/review/posts/{post_id}")
    expect(page.get_by_label("Post text")).to_have_attribute("readonly", "")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    page.goto(f"{client.base_url}/review/users")
    expect(page.get_by_role("alert")).to_have_text("This needs the admin role; you are viewer.")

    approver = sign_in(app_context.browser.new_context(), client, "approver-1")  # type: ignore[union-attr]
    approver.goto(f"{client.base_url}/review/posts/{post_id}")
    expect(approver.get_by_role("button", name="Approve")).to_be_enabled()
    expect(approver.get_by_role("button", name="Reject")).to_be_visible()
    expect(approver.get_by_role("link", name="Users")).to_have_count(0)
    approver.context.close()


def test_a_form_sent_without_its_csrf_token_is_refused(
    app_context: BrowserContext, client: Client, people: dict[Role, Person]
) -> None:
    post_id = pending_post(client, "browser-4")
    page = sign_in(app_context, client, "approver-1")
    page.goto(f"{client.base_url}/review/posts/{post_id}")
    page.evaluate("document.querySelector('#review-form input[name=csrf_token]').remove()")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("alert")).to_contain_text("CSRF token is missing or wrong")
    assert client.api("GET", f"/posts/{post_id}").json()["status"] == "pending_review"


def test_hostile_article_text_never_runs_in_the_review_app(
    app_context: BrowserContext, client: Client, people: dict[Role, Person]
) -> None:
    hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    post_id = pending_post(
        client,
        "hostile-1",
        title=f"Council {hostile}",
        summary=f'<a href="javascript:window.__pwned=3">read</a> {hostile}',
    )
    page = sign_in(app_context, client, "approver-1")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in (f"/review/posts/{post_id}", "/review/articles/hostile-1", "/review/queue"):
        page.goto(f"{client.base_url}{path}")
        expect(page.locator("main")).to_contain_text("Council <img src=x")  # shown as text
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator("main img[src='x']").count() == 0, path
        assert page.locator("main a[href^='javascript:']").count() == 0, path
    assert dialogs == []
