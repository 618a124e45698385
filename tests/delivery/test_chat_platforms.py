"""Telegram, Discord and Slack: the request each platform documents, its rate-limit signal,
and honest failures, against loopback servers that answer as the platforms do."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from syndicate.config import ChannelConfig
from syndicate.platforms import get_platform
from syndicate.platforms.base import DeliveryError, Draft, Platform, Receipt
from tests.delivery.sent import sent
from tests.fakes.receiver import Fault, Received, Receiver

TEXT = "<b>Bridge &amp; tunnel</b>\n\nhttps://news.example.com/a"


def telegram_answer(request: Received) -> tuple[int, bytes]:
    if not request.path.startswith("/botTOKEN-123/"):
        body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
        return 401, json.dumps(body).encode()
    sent = request.json()
    result = {
        "message_id": 42,
        "chat": {"id": -100, "username": sent["chat_id"][1:]},
        "text": sent.get("text", ""),
    }
    return 200, json.dumps({"ok": True, "result": result}).encode()


def discord_answer(request: Received) -> tuple[int, bytes]:
    return 200, json.dumps(
        {"id": "1300000000000000001", "channel_id": "99", "content": request.json()["content"]}
    ).encode()


@dataclass
class Case:
    platform: str
    respond: Any
    secret: str  # what the channel's secret_env holds (a token, or the webhook URL itself)
    rate_limit: Fault
    expected_wait: float


CASES = {
    "telegram": Case(
        "telegram",
        telegram_answer,
        "TOKEN-123",
        Fault(
            status=429,
            body=json.dumps(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 7",
                    "parameters": {"retry_after": 7},
                }
            ).encode(),
        ),
        7.0,
    ),
    "discord": Case(
        "discord",
        discord_answer,
        "{url}/api/webhooks/99/secret-token",
        Fault(
            status=429,
            headers={"Retry-After": "2"},
            body=json.dumps(
                {"message": "You are being rate limited.", "retry_after": 1.5, "global": False}
            ).encode(),
        ),
        1.5,
    ),
    "slack": Case(
        "slack",
        lambda r: (200, b"ok"),
        "{url}/services/T000/B000/XXXX",
        Fault(status=429, headers={"Retry-After": "3"}, body=b"rate_limited"),
        3.0,
    ),
}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Iterator[tuple[Case, Receiver, Platform]]:
    case = CASES[request.param]
    server = Receiver(case.respond).start()
    os.environ["TEST_CHAT_SECRET"] = case.secret.format(url=server.url)
    channel = ChannelConfig(
        name="chat",
        platform=case.platform,
        url=server.url,
        target="@newsroom",
        secret_env="TEST_CHAT_SECRET",
        timeout_seconds=1,
    )
    yield case, server, get_platform(case.platform)(channel, requests.Session())
    server.stop()


def draft(adapter: Platform) -> Draft:
    return adapter.finish(
        Draft(
            text=TEXT,
            link="https://news.example.com/a",
            extras={"article": {"title": "Bridge & tunnel", "summary": "It opened."}},
        )
    )


def test_it_sends_the_documented_request(case: tuple[Case, Receiver, Platform]) -> None:
    spec, server, adapter = case
    receipt = adapter.send(draft(adapter), "key-1")
    (request,) = server.received()
    body = request.json() if spec.platform != "slack" else json.loads(request.body)
    if spec.platform == "telegram":
        assert request.path == "/botTOKEN-123/sendMessage"
        assert body["chat_id"] == "@newsroom" and body["parse_mode"] == "HTML"
        assert body["text"] == TEXT
        assert (receipt.remote_id, receipt.url) == ("42", "https://t.me/newsroom/42")
    elif spec.platform == "discord":
        assert request.path == "/api/webhooks/99/secret-token?wait=true"
        assert body["content"] == TEXT and body["allowed_mentions"] == {"parse": []}
        assert body["embeds"][0]["url"] == "https://news.example.com/a"
        assert receipt.remote_id == "1300000000000000001"
    else:
        assert request.path == "/services/T000/B000/XXXX"
        assert body["text"] == TEXT and body["blocks"][0]["type"] == "section"
    assert request.headers["content-type"] == "application/json"


def test_a_rate_limit_carries_the_platform_s_own_wait(
    case: tuple[Case, Receiver, Platform],
) -> None:
    spec, server, adapter = case
    server.fail_next(spec.rate_limit)
    with pytest.raises(DeliveryError) as error:
        adapter.send(draft(adapter), "key-1")
    assert not error.value.permanent and error.value.retry_after == spec.expected_wait
    adapter.send(draft(adapter), "key-1")  # and then it goes through
    assert len(server.received()) == 2


def test_a_server_error_is_worth_another_try(case: tuple[Case, Receiver, Platform]) -> None:
    _, server, adapter = case
    server.fail_next(Fault(status=500))
    with pytest.raises(DeliveryError) as error:
        adapter.send(draft(adapter), "key-1")
    assert not error.value.permanent and error.value.status_code == 500


def test_a_refused_credential_is_permanent(case: tuple[Case, Receiver, Platform]) -> None:
    _spec, server, adapter = case
    server.fail_next(Fault(status=401, body=b'{"ok": false, "description": "Unauthorized"}'))
    with pytest.raises(DeliveryError) as error:
        adapter.send(draft(adapter), "key-1")
    assert error.value.permanent and error.value.credentials


def test_an_answer_that_never_comes_is_ambiguous(case: tuple[Case, Receiver, Platform]) -> None:
    _, server, adapter = case
    server.fail_next(Fault(hang_seconds=2))
    with pytest.raises(DeliveryError) as error:
        adapter.send(draft(adapter), "key-1")
    assert error.value.ambiguous  # none of these platforms has an idempotency key


def test_telegram_edits_the_message_and_accepts_an_edit_that_changes_nothing() -> None:
    server = Receiver(telegram_answer).start()
    try:
        os.environ["TEST_CHAT_SECRET"] = "TOKEN-123"
        channel = ChannelConfig(
            name="chat",
            platform="telegram",
            url=server.url,
            target="@newsroom",
            secret_env="TEST_CHAT_SECRET",
        )
        telegram = get_platform("telegram")(channel, requests.Session())
        receipt = telegram.send(draft(telegram), "key-1")
        edited = Draft("<b>Bridge &amp; tunnel open</b>", "https://news.example.com/a")
        telegram.edit(sent(receipt), edited)
        request = server.received()[-1]
        assert request.path == "/botTOKEN-123/editMessageText"
        assert request.json() == {
            "chat_id": "@newsroom",
            "message_id": 42,
            "text": "<b>Bridge &amp; tunnel open</b>",
            "parse_mode": "HTML",
            "link_preview_options": {
                "url": "https://news.example.com/a",
                "prefer_large_media": True,
            },
        }
        not_modified = {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: message is not modified: specified new message content "
            "and reply markup are exactly the same as a current content and reply markup of the "
            "message",
        }
        server.fail_next(Fault(status=400, body=json.dumps(not_modified).encode()))
        telegram.edit(sent(receipt), edited)  # no error: the message already says this
        gone = {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: message to edit not found",
        }
        server.fail_next(Fault(status=400, body=json.dumps(gone).encode()))
        with pytest.raises(DeliveryError, match="message to edit not found") as error:
            telegram.edit(sent(receipt), edited)
        assert error.value.permanent
    finally:
        server.stop()


def test_telegram_deletes_the_message_it_sent() -> None:
    server = Receiver(telegram_answer).start()
    try:
        os.environ["TEST_CHAT_SECRET"] = "TOKEN-123"
        channel = ChannelConfig(
            name="chat",
            platform="telegram",
            url=server.url,
            target="@newsroom",
            secret_env="TEST_CHAT_SECRET",
        )
        telegram = get_platform("telegram")(channel, requests.Session())
        telegram.delete(sent(telegram.send(draft(telegram), "key-1")))
        request = server.received()[-1]
        assert request.path == "/botTOKEN-123/deleteMessage"
        assert request.json() == {"chat_id": "@newsroom", "message_id": 42}
        gone = {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: message to delete not found",
        }
        server.fail_next(Fault(status=400, body=json.dumps(gone).encode()))
        with pytest.raises(DeliveryError, match="message to delete not found") as error:
            telegram.delete(sent(Receipt(200, "42")))
        assert error.value.permanent
    finally:
        server.stop()


def test_a_telegram_photo_carries_its_description_in_a_collapsed_quote_when_it_fits() -> None:
    server = Receiver(telegram_answer).start()
    try:
        os.environ["TEST_CHAT_SECRET"] = "TOKEN-123"
        channel = ChannelConfig(
            name="chat",
            platform="telegram",
            url=server.url,
            target="@newsroom",
            secret_env="TEST_CHAT_SECRET",
            photo=True,
        )
        telegram = get_platform("telegram")(channel, requests.Session())
        image = {"url": "https://news.example.com/ferry.jpg", "alt": "The ferry <Aurora> at dusk"}
        extras = {"article": {"image": image}, "alt": image["alt"]}
        telegram.send(Draft(TEXT, "https://news.example.com/a", extras), "key-1")
        (photo,) = server.received()
        assert photo.path == "/botTOKEN-123/sendPhoto"
        assert photo.json()["caption"] == (
            f"{TEXT}\n<blockquote expandable>Image: The ferry &lt;Aurora&gt; at dusk</blockquote>"
        )
        # A description the caption already gives, or one that would not fit, is left out.
        said = Draft(
            "<b>The ferry &lt;Aurora&gt; at dusk</b>", "https://news.example.com/a", extras
        )
        telegram.send(said, "key-2")
        assert server.received()[-1].json()["caption"] == said.text
        full = Draft("x" * 1000, "https://news.example.com/a", extras)
        telegram.send(full, "key-3")
        assert server.received()[-1].json()["caption"] == full.text
    finally:
        server.stop()
