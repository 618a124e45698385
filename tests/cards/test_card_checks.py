"""A post's card check: run for its platform, kept on the post, shown on its page and in the
API, and, on a channel that asks for it, holding its approval until the card is right."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest

from syndicate import articles, cardchecks, cards, posts, review
from syndicate.cms import parse_generic
from syndicate.config import ChannelConfig, SiteConfig, SyndicateConfig
from syndicate.fetch import GuardedFetcher
from syndicate.models import Post, PostStatus, Role, utcnow
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.fakes.article_site import ArticleSite, picture
from tests.people import Person
from tests.review.browser_session import signed_in

ON_LOOPBACK = GuardedFetcher(allow_private=True, timeout=5)


@pytest.fixture
def site() -> Iterator[ArticleSite]:
    server = ArticleSite()
    yield server
    server.stop()


def chat(**options: object) -> SyndicateConfig:
    channel = ChannelConfig(
        name="chat", platform="discord", secret_env="TEST_UNUSED_HOOK", **options
    )
    return SyndicateConfig(site=SiteConfig(title="Test"), channels=[channel])


def composed(runtime: Runtime, config: SyndicateConfig, url: str) -> int:
    art = article("checked-1", title="Council approves the crossing", url=url)
    articles.receive(runtime.factory, parse_generic(envelope(art)), utcnow())
    with runtime.factory.begin() as session:
        work = posts.compose_posts(session, "checked-1", config, runtime.templates, utcnow())
        assert work.composed
        return session.query(Post.id).filter_by(article_id="checked-1").one()[0]


def approve(runtime: Runtime, config: SyndicateConfig, post_id: int) -> None:
    with runtime.factory.begin() as session:
        review.approve(session, post_id, utcnow(), "approver-1", config=config)


def test_a_channel_that_asks_holds_approval_until_the_card_is_right(
    runtime: Runtime, site: ArticleSite, clean: None
) -> None:
    config = chat(preflight_blocks=True)
    url = f"{site.url}/2026/crossing"
    site.page("/2026/crossing", {"og:title": "Crossing", "og:url": url}, canonical=url)
    post_id = composed(runtime, config, url)

    with pytest.raises(review.TransitionRefused, match="the card check has not run yet"):
        approve(runtime, config, post_id)
    assert cardchecks.check_article(runtime.factory, "checked-1", ON_LOOPBACK, utcnow()) == [
        post_id
    ]
    with pytest.raises(review.TransitionRefused) as refused:
        approve(runtime, config, post_id)
    assert str(refused.value) == (
        "the card check found problems: no og:image: Discord shows the card without a picture"
    )

    site.page("/2026/crossing", {"og:title": "Crossing", "og:url": url, "og:image": "/a.jpg"}, url)
    site.image("/a.jpg", picture(1200, 630))
    report = cardchecks.check_post(runtime.factory, post_id, ON_LOOPBACK, utcnow())
    assert report is not None and report.warnings == []
    approve(runtime, config, post_id)
    agents = [agent for path, agent in site.user_agents if path == "/2026/crossing"]
    assert any("Discordbot/2.0" in agent for agent in agents)


def test_a_channel_that_does_not_ask_approves_whatever_the_check_says(
    runtime: Runtime, site: ArticleSite, clean: None
) -> None:
    config = chat()
    post_id = composed(runtime, config, f"{site.url}/2026/missing")
    cardchecks.check_post(runtime.factory, post_id, ON_LOOPBACK, utcnow())
    approve(runtime, config, post_id)


def test_holding_approvals_needs_a_reviewed_channel_on_a_crawling_platform() -> None:
    with pytest.raises(ValueError, match="needs auto_approve = false"):
        chat(preflight_blocks=True, auto_approve=True)
    with pytest.raises(ValueError, match="carry their own card"):
        ChannelConfig(name="sky", platform="bluesky", preflight_blocks=True)


def test_the_api_checks_now_through_the_address_guard_and_the_page_shows_it(
    client: Client, runtime: Runtime, site: ArticleSite, people: dict[Role, Person]
) -> None:
    post_id = composed(runtime, chat(), f"{site.url}/2026/guarded")
    response = client.http.get(
        f"/api/posts/{post_id}/preflight",
        headers={"Authorization": f"Bearer {people[Role.VIEWER].token}"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["checked"] is True and body["blocks_approval"] is None
    assert body["report"]["crawler"] == "Discord"
    assert body["report"]["warnings"] == [
        "Discord's crawler cannot fetch the page: 127.0.0.1 resolves to a non-public address"
    ]
    assert site.user_agents == []  # this installation does not fetch from private addresses

    page = signed_in(client.base_url, "viewer-1").get(f"/review/posts/{post_id}").text
    assert "Card check" in page and "resolves to a non-public address" in page
    assert "Check again" not in page  # for editors and up
    missing = client.http.get(
        "/api/posts/999999/preflight",
        headers={"Authorization": f"Bearer {people[Role.VIEWER].token}"},
    )
    assert missing.status_code == 404


def test_an_article_is_checked_against_every_crawler_linkedin_s_too(site: ArticleSite) -> None:
    url = f"{site.url}/2026/webp"
    tags = {"og:title": "Crossing", "og:url": url, "og:image": "/a.webp"}
    site.page("/2026/webp", tags, canonical=url)
    site.image("/a.webp", picture(1200, 630, "WEBP"), "image/webp")
    reports = {r.crawler: r.warnings for r in cardchecks.check_everywhere(url, ON_LOOPBACK)}
    assert set(reports) == {
        "Facebook",
        "Threads",
        "X",
        "Mastodon",
        "Slack",
        "Discord",
        "Telegram",
        "LinkedIn",
    }
    assert reports.pop("LinkedIn") == ["LinkedIn does not show image/webp images"]
    assert all(warnings == [] for warnings in reports.values())


def test_the_article_check_api_answers_for_every_crawler(
    client: Client, runtime: Runtime, site: ArticleSite, people: dict[Role, Person]
) -> None:
    composed(runtime, chat(), f"{site.url}/2026/any")
    headers = {"Authorization": f"Bearer {people[Role.VIEWER].token}"}
    response = client.http.get("/api/articles/checked-1/preflight", headers=headers)
    assert response.status_code == 200
    reports = response.json()["reports"]
    assert len(reports) == 8 and {r["crawler"] for r in reports} >= {"LinkedIn", "X"}
    assert client.http.get("/api/articles/nope/preflight", headers=headers).status_code == 404


def test_an_article_is_checked_once_its_card_and_its_posts_are_both_made(
    runtime: Runtime, site: ArticleSite, clean: None
) -> None:
    config = chat()
    url = f"{site.url}/2026/crossing"
    post_id = composed(runtime, config, url)  # the posts first: the card is still to come
    with runtime.factory() as session:
        assert not cardchecks.due(session, "checked-1")
    policy = cards.ImagePolicy(True, 1_000_000, frozenset())
    build = functools.partial(
        cards.build_card,
        runtime.factory,
        "checked-1",
        SiteConfig(title="Test"),
        "http://127.0.0.1:9",
        runtime.html_templates,
        policy,
        utcnow(),
    )
    assert build() == cards.BuiltCard(stored=True, posts_due=False)  # no channel crawls
    # Whichever came second starts the check: here the card, which sees the posts.
    assert build(crawled=True) == cards.BuiltCard(stored=True, posts_due=True)
    with runtime.factory.begin() as session:
        session.get_one(Post, post_id).status = PostStatus.SENT
    with runtime.factory() as session:
        assert not cardchecks.due(session, "checked-1")  # nothing left a crawler will meet
    assert build(crawled=True) == cards.BuiltCard(stored=True, posts_due=False)
    assert (
        cards.build_card(
            runtime.factory,
            "never-sent",
            SiteConfig(title="Test"),
            "http://127.0.0.1:9",
            runtime.html_templates,
            policy,
            utcnow(),
        )
        is None
    )
