"""The real WordPress, with the project's plugin, drives Syndicate: publishing, editing and
trashing a post there reach the feeds and the review queue; a publish while Syndicate is down
arrives once it is back; the settings page checks the connection; the theme prints the card's
tags and the share buttons without waiting on Syndicate."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import func, select

from syndicate.models import Article, InboundDelivery
from syndicate.runtime import Runtime
from syndicate.web.app import create_app
from tests.client import Client
from tests.conftest import WEBHOOK_SECRETS
from tests.fakes.receiver import Receiver
from tests.peers.wordpress import ADMIN, PASSWORD, RealWordPress
from tests.pipeline.test_article_to_post import deliveries_for, feed_titles, pending_post
from tests.servers import WebServer, free_port, wait_until

pytestmark = pytest.mark.usefixtures("worker")
SECRET = WEBHOOK_SECRETS.split(",")[0]


@pytest.fixture(scope="module")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealWordPress]:
    site = RealWordPress(tmp_path_factory.mktemp("wordpress")).start()
    yield site
    site.stop()


@pytest.fixture
def wp(wordpress: RealWordPress, client: Client) -> RealWordPress:
    wordpress.configure(client.base_url, SECRET)
    return wordpress


def publish(wp: RealWordPress, title: str, meta_input: str = "", **fields: str) -> str:
    extra = "".join(f"'{k}' => '{v}'," for k, v in fields.items()) + meta_input
    return wp.php(
        "echo wp_insert_post(['post_title' => '" + title + "', 'post_author' => 1,"
        " 'post_content' => '<p>Seven votes to two.</p>', 'post_status' => 'publish',"
        " 'tags_input' => ['Transport'], " + extra + "]);"
    )


def deliveries(runtime: Runtime, article_id: str) -> int:
    with runtime.factory() as session:
        query = select(func.count()).where(InboundDelivery.article_id == article_id)
        return int(session.scalar(query) or 0)


def test_publishing_editing_and_trashing_in_wordpress_reach_feeds_and_review(
    wp: RealWordPress, client: Client, runtime: Runtime
) -> None:
    post_id = publish(wp, "Bridge opens")
    wait_until(lambda: "Bridge opens" in feed_titles(client), timeout=30)
    queued = wait_until(lambda: pending_post(client, post_id, "newsroom-hook"))
    assert queued["status"] == "pending_review" and "Bridge opens" in str(queued["text"])

    wp.php(f"wp_update_post(['ID' => {post_id}, 'post_title' => 'Bridge opens early']);")
    wait_until(lambda: "Bridge opens early" in feed_titles(client), timeout=30)
    revised = wait_until(
        lambda: (p := pending_post(client, post_id, "newsroom-hook")) and p["revision"] == 2 and p
    )
    assert "Bridge opens early" in str(revised["text"])

    wp.php(f"wp_trash_post({post_id});")
    wait_until(lambda: "Bridge opens early" not in feed_titles(client), timeout=30)
    wait_until(
        lambda: (pending_post(client, post_id, "newsroom-hook") or {})["status"] == "cancelled"
    )
    assert wp.waiting() == 0
    assert deliveries(runtime, post_id) == 3


def test_a_publish_while_syndicate_is_down_arrives_once_it_is_back(
    wordpress: RealWordPress, client: Client, runtime: Runtime
) -> None:
    port = free_port()
    wordpress.configure(f"http://127.0.0.1:{port}", SECRET)  # nothing listens there yet
    post_id = publish(wordpress, "Published during the outage")
    assert wordpress.waiting() == 1
    wordpress.cron()  # the retries fail too while Syndicate is down
    assert wordpress.waiting() == 1

    syndicate = WebServer(create_app(runtime), port).start()
    try:

        def delivered() -> bool:
            wordpress.cron()
            return wordpress.waiting() == 0

        wait_until(delivered, timeout=60, interval=1)
        wait_until(lambda: "Published during the outage" in feed_titles(client), timeout=30)
        for _ in range(3):
            wordpress.cron()
        assert deliveries(runtime, post_id) == 1
        with runtime.factory() as session:
            assert session.get_one(Article, post_id).revision == 1
    finally:
        syndicate.stop()


def signed_in_admin(wp: RealWordPress) -> requests.Session:
    browser = requests.Session()
    browser.cookies.set("wordpress_test_cookie", "WP Cookie check")
    answer = browser.post(
        f"{wp.url}/wp-login.php",
        data={"log": ADMIN, "pwd": PASSWORD, "wp-submit": "Log In", "testcookie": "1"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:500]
    return browser


def settings_form(browser: requests.Session, wp: RealWordPress) -> str:
    page = browser.get(f"{wp.url}/wp-admin/options-general.php?page=syndicate", timeout=30)
    assert page.status_code == 200
    return page.text


def field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def test_the_settings_page_saves_the_address_and_secret_and_tests_them(
    wp: RealWordPress, client: Client
) -> None:
    browser = signed_in_admin(wp)
    page = settings_form(browser, wp)
    saved = browser.post(
        f"{wp.url}/wp-admin/options.php",
        data={
            "option_page": "syndicate",
            "action": "update",
            "_wpnonce": field(page, "_wpnonce"),
            "syndicate_url": client.base_url,
            "syndicate_secret": "not-the-secret-0123456789abcdef0123",
            "syndicate_post_types[]": ["post", "page"],
        },
        timeout=30,
    )
    assert saved.status_code == 200
    assert wp.php("echo implode(',', syndicate_post_types());") == "post,page"
    assert "not-the-secret" not in settings_form(browser, wp)  # never shown back

    def test_connection() -> str:
        page = settings_form(browser, wp)
        nonce = re.findall(r'name="_wpnonce" value="([^"]*)"', page)[-1]
        answer = browser.post(
            f"{wp.url}/wp-admin/admin-post.php",
            data={"action": "syndicate_test", "_wpnonce": nonce},
            timeout=30,
        )
        found = re.search(r'id="syndicate-test-result">([^<]*)<', answer.text)
        assert found, answer.text[:500]
        return found.group(1)

    assert test_connection() == "Syndicate refused the signature: check the secret."
    wp.php(f"update_option('syndicate_secret', '{SECRET}');")
    assert test_connection() == "Connected: Syndicate accepts this site&#039;s signature."


def test_the_theme_prints_the_card_and_share_buttons_without_waiting_for_syndicate(
    wp: RealWordPress, client: Client
) -> None:
    post_id = publish(wp, "Library hours extended")
    wait_until(lambda: client.http.get(f"/cards/{post_id}/meta").status_code == 200, timeout=30)
    page_url = f"{wp.url}/?p={post_id}"
    first = requests.get(page_url, timeout=30).text
    assert 'property="og:title"' not in first  # nothing stored yet: the page did not wait

    def printed() -> str | None:
        wp.cron()
        page = requests.get(page_url, timeout=30).text
        return page if 'property="og:title" content="Library hours extended"' in page else None

    page = wait_until(printed, timeout=30, interval=0.5)
    assert 'class="syndicate-share"' in page

    wp.configure("http://127.0.0.1:9", SECRET)  # Syndicate gone
    stale = f"array_merge(get_post_meta({post_id}, '_syndicate_meta', true), ['fresh_until' => 0])"
    wp.php(f"update_post_meta({post_id}, '_syndicate_meta', {stale});")
    still = requests.get(page_url, timeout=10).text
    assert 'property="og:title" content="Library hours extended"' in still
    wp.cron()
    assert 'property="og:title"' in requests.get(page_url, timeout=10).text


def test_the_post_s_syndication_fields_steer_its_social_posts(
    wp: RealWordPress, client: Client, receiver: Receiver
) -> None:
    meta = (
        "'meta_input' => ['syndicate_channels' => 'wire',"
        " 'syndicate_social_title' => 'Ferry: back on', 'syndicate_social_text' => 'From Monday.']"
    )
    post_id = publish(wp, "Ferry service resumes", meta_input=meta)
    wait_until(lambda: "Ferry service resumes" in feed_titles(client), timeout=30)
    (sent,) = wait_until(lambda: deliveries_for(receiver, "/wire", post_id), timeout=30)
    assert sent.json()["text"].startswith("Ferry: back on\n\nFrom Monday.")
    assert pending_post(client, post_id, "newsroom-hook") is None

    wp.php(f"update_post_meta({post_id}, 'syndicate_channels', 'wire,telex');")
    wp.php(f"wp_update_post(['ID' => {post_id}, 'post_title' => 'Ferry service resumes Monday']);")
    assert wp.waiting() == 1  # refused: no channel is named telex
    assert "HTTP 422" in wp.php("echo wp_json_encode(syndicate_waiting());")
    assert "Ferry service resumes Monday" not in feed_titles(client)
    wp.php(
        "foreach (array_keys(syndicate_waiting()) as $id)"
        " delete_option(SYNDICATE_QUEUE_PREFIX . $id);"
    )
