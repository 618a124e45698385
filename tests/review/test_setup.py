"""First run in the browser: while no administrator exists, the home page and the review app
lead to /setup, which only this machine (or whoever has the set-up token) may use, and which is
gone once an administrator exists."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from syndicate import sitedetails
from syndicate.config import UNTITLED, SiteConfig
from syndicate.models import Article, Card, Role
from syndicate.runtime import Runtime
from syndicate.sample import SAMPLE_ID
from syndicate.web.app import create_app
from tests.client import Client
from tests.conftest import WEBHOOK_SECRETS
from tests.people import Person
from tests.review.browser_session import csrf_of, signed_in
from tests.servers import WebServer, wait_until

PASSWORD = "a long enough password"


def test_until_an_admin_exists_every_way_in_leads_to_setup(client: Client) -> None:
    for path in ("/", "/review/", "/review/queue"):
        response = client.http.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/setup", path
    page = client.http.get("/setup")
    assert page.status_code == 200 and "Create the administrator" in page.text
    assert "Set-up token" not in page.text  # from this machine, no token is asked for


def test_setup_creates_the_first_admin_signs_them_in_and_is_gone(client: Client) -> None:
    form = client.http.get("/setup")
    created = client.http.post(
        "/setup",
        data={"csrf_token": csrf_of(form.text), "username": "Founder", "password": PASSWORD},
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"] == "/review/start"
    assert "syndicate_session" in created.headers["set-cookie"]
    dashboard = client.http.get("/review/", follow_redirects=False)
    assert dashboard.status_code == 200 and "founder" in dashboard.text
    assert client.http.get("/setup").status_code == 404
    again = client.http.post(
        "/setup",
        data={"csrf_token": "x", "username": "intruder", "password": PASSWORD},
    )
    assert again.status_code == 404
    anonymous = httpx.get(f"{client.base_url}/review/", follow_redirects=False)
    assert anonymous.headers["location"].startswith("/review/login")


def test_a_bad_form_says_what_is_wrong_and_creates_no_one(client: Client) -> None:
    form = client.http.get("/setup")
    short = client.http.post(
        "/setup", data={"csrf_token": csrf_of(form.text), "username": "ada", "password": "short"}
    )
    assert short.status_code == 422 and "password" in short.text.lower()
    stale = client.http.post(
        "/setup", data={"csrf_token": "forged", "username": "ada", "password": PASSWORD}
    )
    assert stale.status_code == 403
    assert client.http.get("/setup").status_code == 200  # still nobody


@pytest.fixture
def behind_a_proxy(runtime: Runtime) -> Iterator[tuple[WebServer, Runtime]]:
    """The app with a set-up token, for clients that are not on this machine."""
    settings = runtime.settings.model_copy(
        update={"setup_token": runtime.settings.api_token.__class__("set-up-token-" + "s" * 32)}
    )
    tokened = replace(runtime, settings=settings)
    server = WebServer(create_app(tokened)).start()
    yield server, tokened
    server.stop()


def from_elsewhere(server: WebServer) -> httpx.Client:
    # uvicorn believes X-Forwarded-For from loopback: as a proxy in front would send it.
    return httpx.Client(base_url=server.url, headers={"X-Forwarded-For": "203.0.113.9"})


def test_from_another_machine_setup_needs_the_token(
    client: Client, web: WebServer, behind_a_proxy: tuple[WebServer, Runtime]
) -> None:
    closed = from_elsewhere(web).get("/setup")  # no token configured: closed
    assert closed.status_code == 403 and "SYNDICATE_SETUP_TOKEN" in closed.json()["message"]

    server, _ = behind_a_proxy
    http = from_elsewhere(server)
    form = http.get("/setup")
    assert form.status_code == 200 and "Set-up token" in form.text
    wrong = http.post(
        "/setup",
        data={
            "csrf_token": csrf_of(form.text),
            "username": "ada",
            "password": PASSWORD,
            "token": "guess",
        },
    )
    assert wrong.status_code == 403 and "not the set-up token" in wrong.text
    right = http.post(
        "/setup",
        data={
            "csrf_token": csrf_of(http.get("/setup").text),
            "username": "ada",
            "password": PASSWORD,
            "token": "set-up-token-" + "s" * 32,
        },
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert http.get("/setup").status_code == 404


def test_the_checklist_shows_the_secret_only_when_asked(
    client: Client, people: dict[Role, Person]
) -> None:
    http = signed_in(client.base_url, "admin-1")
    page = http.get("/review/start")
    secret = WEBHOOK_SECRETS.split(",")[0]
    assert page.status_code == 200 and secret not in page.text
    assert f"POST {client.base_url}/hooks/articles" in page.text
    assert signed_in(client.base_url, "approver-1").get("/review/start").status_code == 403
    shown = http.post("/review/start/secret", data={"csrf_token": csrf_of(page.text)})
    assert shown.status_code == 200 and secret in shown.text
    assert "openssl dgst -sha256 -hmac" in shown.text
    assert shown.headers["cache-control"] == "no-store"


@pytest.mark.usefixtures("worker")
def test_the_test_article_goes_through_the_pipeline_and_is_never_posted(
    client: Client, people: dict[Role, Person], runtime: Runtime
) -> None:
    http = signed_in(client.base_url, "admin-1")
    page = http.get("/review/start")
    sent = http.post("/review/start/test-article", data={"csrf_token": csrf_of(page.text)})
    assert sent.status_code == 303
    assert sent.headers["location"] == "/review/start?notice=test-sent"

    def done() -> bool:
        with runtime.factory() as session:
            card = session.get(Card, SAMPLE_ID) is not None
            article = session.get(Article, SAMPLE_ID)
            posted = article is not None and article.posts_version == article.version
        return card and posted and "Hello from Syndicate" in client.http.get("/feeds/rss.xml").text

    # The card, the posts and the feeds are tasks of their own: wait for all three.
    assert wait_until(done, timeout=30)
    assert "Hello from Syndicate" in client.http.get("/feeds/rss.xml").text
    assert client.posts(article_id=SAMPLE_ID) == []  # composed for no channel
    assert "newsroom-hook" in http.get("/review/start").text  # previewed instead


@pytest.fixture
def site_left_open(runtime: Runtime) -> Iterator[WebServer]:
    """The app with a site file that sets none of the site's details."""
    config = runtime.config.model_copy(update={"site": SiteConfig()})
    server = WebServer(create_app(replace(runtime, file_config=config))).start()
    yield server
    server.stop()


def test_the_site_details_are_saved_from_the_checklist(
    client: Client, people: dict[Role, Person], site_left_open: WebServer, runtime: Runtime
) -> None:
    http = signed_in(site_left_open.url, "admin-1")
    page = http.get("/review/start")
    assert UNTITLED in page.text and "which wins" not in page.text
    saved = http.post(
        "/review/start/site",
        data={
            "csrf_token": csrf_of(page.text),
            "title": "  Harbour Gazette ",
            "description": "Tides and trade",
            "language": "en-GB",
            "link": "https://harbour.example/",
        },
        follow_redirects=False,
    )
    assert saved.headers["location"] == "/review/start?notice=site-saved"
    shown = http.get("/review/start").text
    assert "“Harbour Gazette”, in en-GB" in shown and 'href="https://harbour.example/"' in shown
    with runtime.factory() as session:
        row = sitedetails.stored(session)
        assert row is not None and (row.title, row.updated_by) == ("Harbour Gazette", "admin-1")


def test_a_bad_site_detail_is_named_and_nothing_is_saved(
    client: Client, people: dict[Role, Person], site_left_open: WebServer, runtime: Runtime
) -> None:
    http = signed_in(site_left_open.url, "admin-1")
    page = http.get("/review/start")
    refused = http.post(
        "/review/start/site",
        data={"csrf_token": csrf_of(page.text), "title": "Gazette", "language": "not a tag"},
    )
    assert refused.status_code == 422 and "language" in refused.text
    forged = http.post("/review/start/site", data={"csrf_token": "forged", "title": "Mine"})
    assert forged.status_code == 403
    approver = signed_in(site_left_open.url, "approver-1")
    token = csrf_of(approver.get("/review/").text)
    assert approver.post("/review/start/site", data={"csrf_token": token}).status_code == 403
    with runtime.factory() as session:
        assert sitedetails.stored(session) is None


def test_details_the_site_file_sets_are_shown_fixed_and_kept(
    client: Client, people: dict[Role, Person], runtime: Runtime
) -> None:
    http = signed_in(client.base_url, "admin-1")
    page = http.get("/review/start")
    assert page.text.count("which wins") == 4  # the test site file sets all four
    http.post(
        "/review/start/site",
        data={"csrf_token": csrf_of(page.text), "title": "Not the file's", "language": "fr"},
    )
    assert "“Test Newsroom”, in en" in http.get("/review/start").text
    with runtime.factory() as session:
        assert sitedetails.stored(session) is None
