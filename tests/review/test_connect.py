"""An admin connects accounts in the review app: Mastodon through the server's own consent page
(app registration, PKCE, a one-time state; the mastodon_mock server plays the server),
Bluesky with an app password checked at the account's own PDS (the real PDS, resolved through
its PLC directory), Telegram with a bot token, a generic webhook with a secret shown once. Every
failure ends on the connect page saying what went wrong, with nothing stored."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import requests
from sqlalchemy import func, select, text

from syndicate.models import ConnectAttempt, Role, StoredChannel
from syndicate.platforms.mastodon import Mastodon
from syndicate.runtime import Runtime
from syndicate.web.app import create_app
from tests.client import Client
from tests.fakes.mastodon_mock import MastodonMock
from tests.fakes.receiver import Received, Receiver
from tests.peers.atproto import RealPDS
from tests.people import Person
from tests.review.browser_session import csrf_of, signed_in
from tests.servers import WebServer

HANDLE = "desk.test"
APP_PASSWORD = "an app password for the desk"


@pytest.fixture(scope="module")
def mastodon() -> Iterator[MastodonMock]:
    server = MastodonMock()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def pds() -> Iterator[RealPDS]:
    server = RealPDS()
    server.create_account(HANDLE, APP_PASSWORD)
    yield server
    server.stop()


@pytest.fixture
def admin(web: WebServer, people: dict[Role, Person]) -> httpx.Client:
    return signed_in(web.url, "admin-1")


def submit(admin: httpx.Client, action: str, **fields: str) -> httpx.Response:
    page = admin.get("/review/channels/connect")
    assert page.status_code == 200
    return admin.post(action, data={**fields, "csrf_token": csrf_of(page.text)})


def stored_channels(runtime: Runtime) -> list[StoredChannel]:
    with runtime.factory() as session:
        return list(session.scalars(select(StoredChannel)))


def sealed(runtime: Runtime, name: str) -> str:
    """The channel's credentials as the database holds them."""
    with runtime.engine.connect() as connection:
        raw = connection.execute(
            text("SELECT credentials FROM channels WHERE name = :name"), {"name": name}
        ).scalar_one()
    assert raw.startswith("gAAAAA")
    return str(raw)


def problem_of(page: httpx.Response) -> str:
    found = re.search(r'<div class="error" role="alert"><p>(.*?)</p>', page.text, re.S)
    return unescape(found.group(1)) if found else ""


def consent_link(admin: httpx.Client, server: str, name: str = "toots") -> str:
    started = submit(admin, "/review/channels/connect/mastodon", name=name, server=server)
    assert started.status_code == 200, problem_of(started)
    found = re.search(r'<a class="button primary" href="([^"]+)"', started.text)
    assert found, "no link to the server's consent page"
    return unescape(found.group(1))


def grant(link: str) -> str:
    """What the server's consent page sends the browser back to once the account is picked."""
    picker = httpx.get(link)
    username = re.search(r'name="username" value="([^"]+)"', picker.text)
    assert username
    form = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    chosen = httpx.post(
        f"{link.split('/oauth/')[0]}/oauth/authorize",
        data={**form, "username": username.group(1)},
    )
    assert chosen.status_code == 302
    return chosen.headers["location"]


def test_mastodon_is_connected_through_the_server_s_consent_page_with_pkce(
    admin: httpx.Client, mastodon: MastodonMock, runtime: Runtime, web: WebServer
) -> None:
    link = consent_link(admin, mastodon.url)
    asked = parse_qs(urlsplit(link).query)
    assert link.startswith(f"{mastodon.url}/oauth/authorize?")
    assert asked["response_type"] == ["code"] and asked["scope"] == ["read write"]
    assert asked["code_challenge_method"] == ["S256"] and len(asked["code_challenge"][0]) >= 43
    assert asked["redirect_uri"] == [f"{web.url}/review/channels/connect/mastodon/done"]
    back = grant(link)
    assert back.startswith(asked["redirect_uri"][0]) and "state=" in back

    done = admin.get(back.removeprefix(web.url))
    assert done.status_code == 303 and done.headers["location"].endswith("notice=connected")
    (row,) = stored_channels(runtime)
    assert (row.name, row.platform, row.options["url"]) == ("toots", "mastodon", mastodon.url)
    channel = runtime.config.channel("toots")
    assert channel is not None and channel.added_in_app
    assert Mastodon(channel, requests.Session()).check().startswith("@")  # the kept token works
    assert channel.secret() not in sealed(runtime, "toots")
    page = admin.get("/review/channels").text
    assert 'data-source="app"' in page and "Remove toots" in page

    # The way back is good once: a browser that comes back again finds nothing to finish.
    again = admin.get(back.removeprefix(web.url))
    assert again.status_code == 400 and "already used" in problem_of(again)
    assert len(stored_channels(runtime)) == 1


def test_a_tampered_state_a_refusal_and_a_spent_code_each_end_with_nothing_stored(
    admin: httpx.Client, mastodon: MastodonMock, runtime: Runtime, web: WebServer
) -> None:
    back = grant(consent_link(admin, mastodon.url))
    tampered = re.sub(r"state=[^&]+", "state=forged", back)
    refused = admin.get(tampered.removeprefix(web.url))
    assert refused.status_code == 400 and "unknown or was already used" in problem_of(refused)

    state = parse_qs(urlsplit(grant(consent_link(admin, mastodon.url))).query)["state"][0]
    denied = admin.get(
        "/review/channels/connect/mastodon/done",
        params={"state": state, "error": "access_denied", "error_description": "The user said no"},
    )
    assert denied.status_code == 400 and "did not grant access: The user said no" in problem_of(
        denied
    )

    state = parse_qs(urlsplit(grant(consent_link(admin, mastodon.url))).query)["state"][0]
    spent = admin.get(
        "/review/channels/connect/mastodon/done", params={"state": state, "code": "mockcode_gone"}
    )
    assert spent.status_code == 400 and "invalid_grant" in problem_of(spent)
    assert stored_channels(runtime) == []


def test_a_server_that_is_not_mastodon_is_named_as_such(
    admin: httpx.Client, runtime: Runtime
) -> None:
    elsewhere = Receiver(lambda request: (404, b"<html>Not here</html>")).start()
    try:
        started = submit(
            admin, "/review/channels/connect/mastodon", name="toots", server=elsewhere.url
        )
    finally:
        elsewhere.stop()
    assert started.status_code == 400
    assert "is not a Mastodon server" in problem_of(started) and "HTTP 404" in problem_of(started)
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(ConnectAttempt)) == 0
    assert stored_channels(runtime) == []


def test_bluesky_is_connected_with_an_app_password_checked_at_the_account_s_own_pds(
    runtime: Runtime, pds: RealPDS, people: dict[Role, Person]
) -> None:
    settings = runtime.settings.model_copy(
        update={"bluesky_entryway_url": pds.url, "plc_directory_url": pds.plc_url}
    )
    own = WebServer(create_app(replace(runtime, settings=settings))).start()
    try:
        admin = signed_in(own.url, "admin-1")
        wrong = submit(
            admin,
            "/review/channels/connect/bluesky",
            name="sky",
            handle=f"@{HANDLE}",
            app_password="not the password",
        )
        assert wrong.status_code == 400 and "bluesky refused the credentials" in problem_of(wrong)
        unknown = submit(
            admin,
            "/review/channels/connect/bluesky",
            name="sky",
            handle="nobody.test",
            app_password=APP_PASSWORD,
        )
        assert unknown.status_code == 400 and "no Bluesky account" in problem_of(unknown)
        assert stored_channels(runtime) == []

        right = submit(
            admin,
            "/review/channels/connect/bluesky",
            name="sky",
            handle=HANDLE,
            app_password=APP_PASSWORD,
        )
        assert right.status_code == 303, problem_of(right)
    finally:
        own.stop()
    (row,) = stored_channels(runtime)
    port = urlsplit(pds.url).port
    assert row.options["target"] == HANDLE and urlsplit(row.options["url"]).port == port
    assert APP_PASSWORD not in sealed(runtime, "sky")


def bot_api(request: Received) -> tuple[int, bytes]:
    """Telegram's Bot API for the token TOKEN-123: getMe, getChat, and getChatMember (an
    administrator allowed to post in @newsroom, and not elsewhere)."""
    if not request.path.startswith("/botTOKEN-123/"):
        return 401, json.dumps(
            {"ok": False, "error_code": 401, "description": "Unauthorized"}
        ).encode()
    if request.path.endswith("/getMe"):
        bot = {"id": 7, "is_bot": True, "username": "desk_bot"}
        return 200, json.dumps({"ok": True, "result": bot}).encode()
    if request.path.endswith("/getChatMember"):
        may_post = request.json()["chat_id"] == "@newsroom"
        member = {"status": "administrator", "can_post_messages": may_post, "user": {"id": 7}}
        return 200, json.dumps({"ok": True, "result": member}).encode()
    chat = {"id": -1001, "type": "channel", "title": "Newsroom", "username": "newsroom"}
    return 200, json.dumps({"ok": True, "result": chat}).encode()


def test_telegram_and_a_webhook_are_checked_and_the_signing_secret_is_shown_once(
    admin: httpx.Client, runtime: Runtime
) -> None:
    bot = Receiver(bot_api).start()
    try:
        fields = {"name": "tg", "chat": "@newsroom", "api_server": bot.url}
        wrong = submit(admin, "/review/channels/connect/telegram", bot_token="WRONG", **fields)
        assert wrong.status_code == 400 and "Unauthorized" in problem_of(wrong)
        elsewhere = {**fields, "chat": "@elsewhere"}
        barred = submit(
            admin, "/review/channels/connect/telegram", bot_token="TOKEN-123", **elsewhere
        )
        assert barred.status_code == 400 and "may not post in" in problem_of(barred)
        assert stored_channels(runtime) == []
        right = submit(admin, "/review/channels/connect/telegram", bot_token="TOKEN-123", **fields)
        assert right.status_code == 303, problem_of(right)
    finally:
        bot.stop()
    (row,) = stored_channels(runtime)
    assert (row.options["target"], row.options["url"]) == ("@newsroom", bot.url)
    assert "TOKEN-123" not in sealed(runtime, "tg")

    made = submit(
        admin,
        "/review/channels/connect/address",
        name="wire-2",
        platform="webhook",
        address="https://receiver.example/hook",
    )
    assert made.status_code == 200
    shown = re.search(r"<code data-secret>([^<]+)</code>", made.text)
    assert shown and len(shown.group(1)) >= 32
    assert shown.group(1) not in sealed(runtime, "wire-2")
    channel = runtime.config.channel("wire-2")
    assert channel is not None and channel.secret() == shown.group(1)
    assert made.headers["cache-control"] == "no-store"
    listing = admin.get("/review/channels")
    assert shown.group(1) not in listing.text

    removed = admin.post(
        "/review/channels/wire-2/remove", data={"csrf_token": csrf_of(listing.text)}
    )
    assert removed.status_code == 303
    assert [row.name for row in stored_channels(runtime)] == ["tg"]


def test_an_admin_edits_a_channel_added_here_and_replaces_its_credential(
    admin: httpx.Client, runtime: Runtime, client: Client
) -> None:
    first, second = "first-signing-secret-8d1e", "second-signing-secret-4b7a"
    hook = {"name": "wire-3", "platform": "webhook", "url": "https://r.example/", "secret": first}
    assert client.api("POST", "/channels", json=hook).status_code == 201
    assert admin.get("/review/channels/wire/edit").status_code == 404  # the file's
    form = admin.get("/review/channels/wire-3/edit")
    assert form.status_code == 200 and "A credential is set" in form.text
    assert first not in form.text
    csrf = csrf_of(form.text)
    refused = admin.post(
        "/review/channels/wire-3/edit",
        data={"enabled": "on", "first_reply": "posts/x/first_reply.txt.j2", "csrf_token": csrf},
    )
    assert refused.status_code == 422 and "first_reply" in problem_of(refused)
    saved = admin.post(
        "/review/channels/wire-3/edit",
        data={"auto_approve": "on", "max_hashtags": "5", "secret": second, "csrf_token": csrf},
    )
    assert saved.status_code == 303
    channel = runtime.config.channel("wire-3")
    assert channel is not None
    assert (channel.enabled, channel.auto_approve, channel.max_hashtags) == (False, True, 5)
    assert channel.secret() == second
    assert second not in sealed(runtime, "wire-3")
