"""Scheduled posts go out at their time; a paused channel holds its posts until resumed; the
beat checks every channel's credentials and pauses one the platform refuses."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from syndicate import channelhealth
from syndicate.models import ChannelHealth, Role
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.fakes.receiver import Receiver
from tests.people import Person
from tests.review.browser_session import signed_in
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker", "beat")
# The test site file's channels that are in use, and the one the test adds.
NAMES = ("newsroom-hook", "wire", "tg-desk")


def post_for(client: Client, article_id: str, channel: str) -> dict[str, object] | None:
    return next(
        (p for p in client.posts() if p["article_id"] == article_id and p["channel"] == channel),
        None,
    )


def wire_deliveries(receiver: Receiver, article_id: str) -> int:
    return len([r for r in receiver.received("/wire") if r.json()["article"]["id"] == article_id])


def test_a_scheduled_post_goes_out_at_its_time_and_not_before(
    client: Client, receiver: Receiver
) -> None:
    assert client.send(envelope(article("later"))).status_code == 202
    post = wait_until(lambda: post_for(client, "later", "newsroom-hook"))
    at = datetime.now(UTC) + timedelta(seconds=4)
    response = client.api("POST", f"/posts/{post['id']}/schedule", json={"at": at.isoformat()})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"
    assert datetime.fromisoformat(response.json()["scheduled_at"]) == at.replace(
        microsecond=at.microsecond
    )
    time.sleep(2)
    assert receiver.received("/newsroom") == []
    wait_until(lambda: receiver.received("/newsroom"), timeout=20)
    assert datetime.now(UTC) >= at


def test_a_paused_channel_holds_its_posts_until_it_is_resumed(
    client: Client, receiver: Receiver
) -> None:
    assert (
        client.api("POST", "/channels/wire/pause", json={"reason": "checking a story"}).status_code
        == 204
    )
    listed = {c["name"]: c for c in client.api("GET", "/channels").json()}
    assert listed["wire"]["paused"] and listed["wire"]["reason"] == (
        "the channel is paused: checking a story"
    )
    assert not listed["newsroom-hook"]["paused"]

    assert client.send(envelope(article("held"))).status_code == 202
    wait_until(lambda: post_for(client, "held", "wire"))
    time.sleep(3)  # the scheduler runs every second; nothing may go out meanwhile
    assert wire_deliveries(receiver, "held") == 0
    assert post_for(client, "held", "wire")["status"] == "approved"

    assert client.api("POST", "/channels/wire/resume").status_code == 204
    wait_until(lambda: wire_deliveries(receiver, "held") == 1, timeout=20)


def test_the_emergency_stop_holds_every_channel(client: Client, receiver: Receiver) -> None:
    assert client.api("POST", "/pause", json={"reason": "legal hold"}).status_code == 204
    try:
        assert all(c["paused"] for c in client.api("GET", "/channels").json())
        assert client.send(envelope(article("stopped"))).status_code == 202
        wait_until(lambda: post_for(client, "stopped", "wire"))
        time.sleep(2)
        assert wire_deliveries(receiver, "stopped") == 0
    finally:
        assert client.api("POST", "/resume").status_code == 204
    wait_until(lambda: wire_deliveries(receiver, "stopped") == 1, timeout=20)


def test_pausing_an_unknown_channel_is_a_404(client: Client) -> None:
    assert client.api("POST", "/channels/nope/pause").status_code == 404


def test_the_beat_checks_every_channel_and_pauses_one_whose_token_was_revoked(
    client: Client, runtime: Runtime, people: dict[Role, Person]
) -> None:
    revoked = b'{"ok": false, "error_code": 401, "description": "Unauthorized"}'
    bot_api = Receiver(lambda request: (401, revoked)).start()
    try:
        added = client.api(
            "POST",
            "/channels",
            json={
                "name": "tg-desk",
                "platform": "telegram",
                "url": bot_api.url,
                "target": "@newsroom",
                "secret": "a-token-telegram-revoked",
            },
        )
        assert added.status_code == 201, added.text

        def checked() -> dict[str, ChannelHealth]:
            with runtime.factory() as session:
                found = channelhealth.recorded(session)
            return found if all(found.get(n) and found[n].checked_at for n in NAMES) else {}

        health = wait_until(checked, timeout=30)
    finally:
        bot_api.stop()
    assert health["wire"].verdict == "unchecked"  # a generic webhook has no harmless read
    assert health["tg-desk"].verdict == "attention" and health["tg-desk"].failing_since
    assert [r.path for r in bot_api.received()] == ["/bota-token-telegram-revoked/getMe"]
    listed = {c["name"]: c for c in client.api("GET", "/channels").json()}
    assert listed["tg-desk"]["paused"] and listed["tg-desk"]["needs_credentials"]
    viewer = signed_in(client.base_url, "viewer-1")
    page = viewer.get("/review/channels").text
    assert 'data-check="attention"' in page and "failing since" in page
    dashboard = viewer.get("/review/").text
    assert "<strong>tg-desk</strong>: failing since" in dashboard
