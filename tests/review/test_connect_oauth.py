"""X, Threads, LinkedIn and Facebook Pages connected through OAuth 2.0 on the newsroom's own
app: the consent page (PKCE where the platform takes it), the code exchange, each platform's
own next steps (Threads' long-lived token, LinkedIn's member, Facebook's long-lived token and
the Page the admin picks), the tokens kept in the database and renewed there. Each platform's
authorization server is a loopback server speaking its documented requests and errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import select, update

from syndicate import notifications
from syndicate.config import NotificationConfig
from syndicate.models import ChannelToken, Role, StoredChannel, utcnow
from syndicate.platforms.base import Draft
from syndicate.platforms.linkedin import LinkedIn
from syndicate.platforms.threads import Threads
from syndicate.platforms.x import X
from syndicate.runtime import Runtime
from syndicate.tokens import TokenVault
from syndicate.web.app import create_app
from tests.fakes import facebook_api, linkedin_api, threads_api, x_api
from tests.fakes.facebook_api import FakeFacebook
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.threads_api import FakeThreads
from tests.fakes.x_api import FakeX
from tests.people import Person
from tests.review.browser_session import csrf_of, signed_in
from tests.servers import WebServer, free_port


@contextmanager
def app_with(runtime: Runtime, platform: str, client: str, server: str) -> Iterator[httpx.Client]:
    """The review app with the newsroom's app on `platform`, whose hosts are `server`; an
    admin signed in to it."""
    port = free_port()
    settings = runtime.settings.model_copy(
        update={
            "base_url": f"http://127.0.0.1:{port}",
            f"{platform}_oauth_client": SecretStr(client),
            "oauth_servers": {platform: server},
        }
    )
    web = WebServer(create_app(replace(runtime, settings=settings)), port).start()
    try:
        yield signed_in(web.url, "admin-1")
    finally:
        web.stop()


def problem_of(page: httpx.Response) -> str:
    found = re.search(r'<div class="error" role="alert"><p>(.*?)</p>', page.text, re.S)
    return unescape(found.group(1)) if found else ""


def consent(admin: httpx.Client, platform: str, name: str) -> tuple[str, dict[str, list[str]]]:
    """Start connecting; follow the link to the consent page, which grants (or refuses) at
    once; the address it sends the browser back to, and what the app asked for."""
    page = admin.get("/review/channels/connect")
    assert f'action="/review/channels/connect/oauth/{platform}"' in page.text
    started = admin.post(
        f"/review/channels/connect/oauth/{platform}",
        data={"name": name, "csrf_token": csrf_of(page.text)},
    )
    assert started.status_code == 200, problem_of(started)
    link = unescape(re.search(r'<a class="button primary" href="([^"]+)"', started.text).group(1))  # type: ignore[union-attr]
    answered = httpx.get(link)
    assert answered.status_code == 302
    back = answered.headers["location"]
    assert back.startswith(str(admin.base_url).rstrip("/"))
    return back.removeprefix(str(admin.base_url).rstrip("/")), parse_qs(urlsplit(link).query)


def stored(runtime: Runtime, name: str) -> tuple[StoredChannel, ChannelToken | None]:
    with runtime.factory() as session:
        return session.get_one(StoredChannel, name), session.get(ChannelToken, name)


@pytest.fixture
def admin_ready(people: dict[Role, Person]) -> None:
    """The people (an admin among them), in a database cleaned for the test."""


@pytest.fixture
def x_server() -> Iterator[FakeX]:
    server = FakeX()
    yield server
    server.stop()


@pytest.mark.usefixtures("admin_ready")
def test_x_is_connected_with_pkce_and_posts_with_the_tokens_the_database_keeps(
    runtime: Runtime, x_server: FakeX
) -> None:
    app = f"{x_api.CLIENT_ID}:{x_api.CLIENT_SECRET}"
    with app_with(runtime, "x", app, x_server.url) as admin:
        back, asked = consent(admin, "x", "x-desk")
        done = admin.get(back)
    assert done.status_code == 303, problem_of(done)
    assert asked["code_challenge_method"] == ["S256"]
    assert "offline.access" in asked["scope"][0].split() and "tweet.write" in asked["scope"][0]
    row, tokens = stored(runtime, "x-desk")
    assert row.options["oauth_tokens"] and row.options["client_id"] == x_api.CLIENT_ID
    assert tokens is not None and tokens.refresh_token and tokens.expires_at
    channel = runtime.config.channel("x-desk")
    assert channel is not None
    link = "https://news.example/2026/ferry"
    X(channel, requests.Session(), TokenVault(runtime.factory)).send(
        Draft(f"Ferry back {link}", link), "k"
    )
    (tweet,) = x_server.posted()
    assert tweet["entities"]["urls"][0]["expanded_url"] == link


@pytest.mark.usefixtures("admin_ready")
def test_x_consent_refused_or_a_code_gone_stale_ends_on_the_page_with_nothing_stored(
    runtime: Runtime, x_server: FakeX
) -> None:
    app = f"{x_api.CLIENT_ID}:{x_api.CLIENT_SECRET}"
    with app_with(runtime, "x", app, x_server.url) as admin:
        x_server.authorizer.refuse = True
        back, _ = consent(admin, "x", "x-desk")
        refused = admin.get(back)
        assert refused.status_code == 400
        assert "x did not grant access: The user denied access" in problem_of(refused)
        x_server.authorizer.refuse, x_server.authorizer.code_lifetime = False, 0.0
        back, _ = consent(admin, "x", "x-desk")
        stale = admin.get(back)
        assert stale.status_code == 400 and "invalid_grant" in problem_of(stale)
    with runtime.factory() as session:
        assert session.scalars(select(StoredChannel)).all() == []
        assert session.get(ChannelToken, "x-desk") is None


@pytest.mark.usefixtures("admin_ready")
def test_a_platform_without_the_newsroom_s_app_is_not_offered(runtime: Runtime) -> None:
    with app_with(runtime, "x", "", "http://127.0.0.1:9") as admin:
        page = admin.get("/review/channels/connect")
        assert "/channels/connect/oauth/x" not in page.text
        refused = admin.post(
            "/review/channels/connect/oauth/x",
            data={"name": "x-desk", "csrf_token": csrf_of(page.text)},
        )
    assert refused.status_code == 400 and "SYNDICATE_X_OAUTH_CLIENT" in problem_of(refused)


@pytest.mark.usefixtures("admin_ready")
def test_threads_gets_a_long_lived_token_and_renews_it_a_week_before_it_runs_out(
    runtime: Runtime,
) -> None:
    fake = FakeThreads()
    try:
        app = f"{threads_api.APP_ID}:{threads_api.APP_SECRET}"
        with app_with(runtime, "threads", app, fake.url) as admin:
            back, asked = consent(admin, "threads", "threads-desk")
            done = admin.get(back)
        assert done.status_code == 303, problem_of(done)
        assert "threads_content_publish" in asked["scope"][0].split(",")
        row, tokens = stored(runtime, "threads-desk")
        assert row.options["target"] == threads_api.USER_ID
        assert tokens is not None and tokens.access_token in fake.tokens
        assert tokens.expires_at and tokens.expires_at - utcnow() > timedelta(days=59)
        assert [e["grant_type"] for e in fake.exchanges] == ["th_exchange_token"]

        with runtime.factory.begin() as session:
            session.execute(
                update(ChannelToken)
                .where(ChannelToken.channel == "threads-desk")
                .values(expires_at=utcnow() + timedelta(days=3))
            )
        channel = runtime.config.channel("threads-desk")
        assert channel is not None
        who = Threads(channel, requests.Session(), TokenVault(runtime.factory)).check()
        assert who == "@gazette"
        assert [e["grant_type"] for e in fake.exchanges][-1] == "th_refresh_token"
        _, renewed = stored(runtime, "threads-desk")
        assert renewed is not None and renewed.access_token != tokens.access_token
        assert renewed.expires_at and renewed.expires_at - utcnow() > timedelta(days=59)
    finally:
        fake.stop()


@pytest.mark.parametrize("refreshable", [False, True])
@pytest.mark.usefixtures("admin_ready")
def test_linkedin_posts_as_the_member_and_is_renewed_or_flagged_before_it_expires(
    runtime: Runtime, refreshable: bool
) -> None:
    fake = FakeLinkedIn(refresh_tokens=refreshable)
    try:
        app = f"{linkedin_api.CLIENT_ID}:{linkedin_api.CLIENT_SECRET}"
        with app_with(runtime, "linkedin", app, fake.url) as admin:
            back, asked = consent(admin, "linkedin", "li-desk")
            done = admin.get(back)
            assert done.status_code == 303, problem_of(done)
            assert "code_challenge" not in asked  # LinkedIn takes no PKCE from web apps
            row, tokens = stored(runtime, "li-desk")
            assert row.options["target"] == f"urn:li:person:{linkedin_api.MEMBER}"
            assert tokens is not None and bool(tokens.refresh_token) is refreshable
            soon = utcnow() + timedelta(hours=20)
            with runtime.factory.begin() as session:
                session.execute(
                    update(ChannelToken)
                    .where(ChannelToken.channel == "li-desk")
                    .values(expires_at=soon)
                )
            channel = runtime.config.channel("li-desk")
            assert channel is not None
            linkedin = LinkedIn(channel, requests.Session(), TokenVault(runtime.factory))
            assert linkedin.check() == "Ada Reporter"
            _, after = stored(runtime, "li-desk")
            assert after is not None
            page = admin.get("/review/channels").text
        if refreshable:
            assert after.access_token != tokens.access_token  # renewed a day ahead
            assert after.expires_at and after.expires_at - utcnow() > timedelta(days=59)
        else:
            assert after.access_token == tokens.access_token  # kept until it runs out
            assert "expires" in page and 'data-expires="li-desk"' in page
            with runtime.factory() as session:
                found = notifications.DETECTORS["channel.credentials_expiring"](
                    session, _desk_mail(), utcnow(), "http://review"
                )
            assert [f.context["channel"] for f in found] == ["li-desk"]
    finally:
        fake.stop()


def _desk_mail() -> Any:
    return NotificationConfig.model_validate(
        {
            "name": "desk",
            "kind": "email",
            "to": ["desk@news.example"],
            "from": "syndicate@news.example",
            "events": ["channel.credentials_expiring"],
        }
    )


@pytest.mark.usefixtures("admin_ready")
def test_facebook_lists_the_pages_and_keeps_the_token_of_the_one_the_admin_picks(
    runtime: Runtime,
) -> None:
    fake = FakeFacebook()
    try:
        app = f"{facebook_api.APP_ID}:{facebook_api.APP_SECRET}"
        with app_with(runtime, "facebook", app, fake.url) as admin:
            back, asked = consent(admin, "facebook", "fb-sport")
            assert asked["code_challenge_method"] == ["S256"]
            assert "pages_manage_posts" in asked["scope"][0].split(",")
            picking = admin.get(back)
            assert picking.status_code == 200, problem_of(picking)
            assert "Harbour Gazette" in picking.text and "Gazette Sport" in picking.text
            state = re.search(r'name="state" value="([^"]+)"', picking.text)
            assert state
            forged = admin.post(
                "/review/channels/connect/facebook/page",
                data={"state": "forged", "page": "2233445566", "csrf_token": csrf_of(picking.text)},
            )
            assert forged.status_code == 400 and "unknown" in problem_of(forged)
            picked = admin.post(
                "/review/channels/connect/facebook/page",
                data={
                    "state": state.group(1),
                    "page": "2233445566",
                    "csrf_token": csrf_of(picking.text),
                },
            )
            assert picked.status_code == 303, problem_of(picked)
        row, tokens = stored(runtime, "fb-sport")
        assert row.options["target"] == "2233445566" and tokens is None
        channel = runtime.config.channel("fb-sport")
        assert channel is not None and fake.page_tokens[channel.secret()] == "2233445566"
    finally:
        fake.stop()
