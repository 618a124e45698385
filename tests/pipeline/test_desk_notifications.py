"""The desk hears at once, and once, when a post fails or a channel is paused: over the real
web app, worker and scheduler, a real SMTP server and a loopback receiver."""

from __future__ import annotations

import json
import time

import pytest

from syndicate import signatures
from syndicate.models import Role
from tests.client import Client, article, envelope
from tests.conftest import HOOK_SECRET
from tests.fakes.receiver import Fault, Receiver
from tests.fakes.smtp import SmtpServer
from tests.people import Person
from tests.pipeline.test_article_to_post import pending_post
from tests.review.browser_session import signed_in
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker", "beat")


def test_a_post_the_platform_refuses_is_emailed_to_the_desk_once(
    client: Client, receiver: Receiver, smtp: SmtpServer
) -> None:
    receiver.fail_next(Fault(status=400, body=b'{"error": "bad body"}'))
    assert client.send(envelope(article("refused-1", title="Refused story"))).status_code == 202
    wait_until(lambda: (pending_post(client, "refused-1", "wire") or {}).get("status") == "failed")
    (message,) = wait_until(lambda: smtp.messages(Subject="Refused story"), timeout=20)
    assert message["Subject"] == "A post to wire failed: Refused story"
    assert message["To"] == "desk@news.example"
    time.sleep(3)  # the scheduler looks every second: it must not send it again
    assert len(smtp.messages(Subject="Refused story")) == 1


def test_pausing_a_channel_reaches_the_desk_s_webhook_signed(
    client: Client, receiver: Receiver, people: dict[Role, Person]
) -> None:
    answer = client.api("POST", "/channels/wire/pause", json={"reason": "checking a story"})
    assert answer.status_code == 204
    (sent,) = wait_until(lambda: receiver.received("/desk"), timeout=20)
    signatures.verify(sent.headers["syndicate-signature"], sent.body, [HOOK_SECRET.encode()])
    body = json.loads(sent.body)
    assert body["event"] == "channel.paused"
    assert body["subject"] == "Paused: wire"
    assert "checking a story" in body["text"]
    assert sent.headers["idempotency-key"] == body["id"]

    # The receiver has the message before the worker records that it went: wait for that.
    (listed,) = wait_until(
        lambda: (
            (rows := client.api("GET", "/notifications").json())
            and rows[0]["status"] == "sent"
            and rows
        )
    )
    assert (listed["target"], listed["status"], listed["attempts"]) == ("desk-hook", "sent", 1)
    page = signed_in(client.base_url, "admin-1").get("/review/notifications").text
    assert "desk-hook" in page and "Paused: wire" in page and "sent" in page
    client.api("POST", "/channels/wire/resume")
