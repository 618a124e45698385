"""The calendar in Chromium: a scheduled post and an embargoed one appear on their days in the
reviewer's time zone, with the channel's cap; moving the scheduled one from the calendar
reschedules it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, expect

from syndicate.models import Role
from tests.browser.conftest import screenshot_path
from tests.browser.test_review_app import sign_in
from tests.client import Client, article, envelope
from tests.people import Person
from tests.review.test_api_roles import pending_post
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker")
PARIS = ZoneInfo("Europe/Paris")  # the people fixture's time zone


def test_a_reviewer_sees_the_week_and_moves_a_post_from_the_calendar(
    app_context: BrowserContext, client: Client, people: dict[Role, Person]
) -> None:
    tomorrow = datetime.now(PARIS).date() + timedelta(days=1)
    at = datetime.combine(tomorrow, time(10, 0), PARIS)
    post_id = pending_post(client, "cal-1", title="Night trains return")
    scheduled = client.api("POST", f"/posts/{post_id}/schedule", json={"at": at.isoformat()})
    assert scheduled.status_code == 200, scheduled.text

    lifted = datetime.combine(tomorrow + timedelta(days=1), time(8, 0), PARIS)
    held = article(
        "cal-2", title="Budget under embargo", syndication={"not_before": lifted.isoformat()}
    )
    assert client.send(envelope(held)).status_code == 202
    embargoed = wait_until(
        lambda: next(
            (p for p in client.posts(article_id="cal-2") if p["channel"] == "newsroom-hook"), None
        )
    )

    page = sign_in(app_context, client, "approver-1")
    page.get_by_role("link", name="Calendar").click()
    page.goto(f"{client.base_url}/review/calendar?view=week&date={tomorrow.isoformat()}")
    lane = page.locator('tr[data-channel="newsroom-hook"]')
    entry = lane.locator(f'td[data-day="{tomorrow.isoformat()}"] [data-post="{post_id}"]')
    expect(entry).to_contain_text("10:00")
    expect(entry).to_contain_text("scheduled")
    expect(entry).to_contain_text("Night trains return")
    if lifted.date().isocalendar()[1] == tomorrow.isocalendar()[1]:
        later = lane.locator(f'td[data-day="{lifted.date().isoformat()}"]')
        expect(later.locator(f'[data-post="{embargoed["id"]}"]')).to_contain_text("embargoed")
    page.screenshot(path=screenshot_path("review-calendar.png"), full_page=True)

    moved = datetime.combine(tomorrow + timedelta(days=2), time(15, 30), PARIS)
    entry.get_by_label("Move to").fill(moved.strftime("%Y-%m-%dT%H:%M"))
    entry.get_by_role("button", name="Move").click()
    expect(page.locator(".notice")).to_have_text("Scheduled.")
    cell = page.locator(
        f'tr[data-channel="newsroom-hook"] td[data-day="{moved.date().isoformat()}"]'
    )
    expect(cell.locator(f'[data-post="{post_id}"]')).to_contain_text("15:30")
    stored = client.api("GET", f"/posts/{post_id}").json()
    assert datetime.fromisoformat(stored["scheduled_at"]) == moved

    day = page.goto(f"{client.base_url}/review/calendar?view=day&date={lifted.date().isoformat()}")
    assert day is not None and day.status == 200
    expect(page.locator(f'[data-post="{embargoed["id"]}"]')).to_contain_text("08:00")
