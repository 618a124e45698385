"""A post's live URL comes from the platform's answer: only https (or http on loopback, for
test servers) is ever stored or linked to."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from syndicate.models import Post, Role
from syndicate.platforms.base import Receipt
from syndicate.runtime import Runtime
from syndicate.weblinks import live_link
from tests.client import Client
from tests.people import Person
from tests.review.browser_session import signed_in
from tests.review.test_api_roles import pending_post
from tests.servers import WebServer


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "http://news.example/post",
        "//evil.example/post",
        "/relative",
        "https://ex ample.org/",
        "https://[::1",
        "",
    ],
)
def test_only_https_links_are_kept(url: str) -> None:
    assert live_link(url) is None
    assert Receipt(200, "1", url).url is None


def test_https_and_loopback_http_links_are_kept() -> None:
    assert Receipt(200, "1", "https://mastodon.example/@news/1").url == (
        "https://mastodon.example/@news/1"
    )
    assert live_link("http://127.0.0.1:8000/x") == "http://127.0.0.1:8000/x"


@pytest.mark.usefixtures("worker")
def test_a_stored_link_that_is_not_safe_is_never_rendered(
    client: Client, web: WebServer, people: dict[Role, Person], runtime: Runtime
) -> None:
    post_id = pending_post(client, "link-1")
    with runtime.factory.begin() as session:
        session.execute(
            update(Post).where(Post.id == post_id).values(remote_url="javascript:alert(1)")
        )
    page = signed_in(web.url, people[Role.VIEWER].username).get(f"/review/posts/{post_id}")
    assert page.status_code == 200
    assert "javascript:alert" not in page.text
