"""The real Ghost drives Syndicate: an integration's webhooks, created through Ghost's Admin
API and signed with X-Ghost-Signature, carry a post's publish, edits and unpublish to the
feeds and the review queue; and its Content API gives `syndicate import` the history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from syndicate.models import Article
from syndicate.runtime import Runtime
from tests.client import Client
from tests.conftest import WEBHOOK_SECRETS
from tests.fakes.receiver import Receiver
from tests.peers.ghost import RealGhost
from tests.pipeline.test_article_to_post import deliveries_for, feed_titles, pending_post
from tests.pipeline.test_cms_controls import posts_composed
from tests.servers import WebServer, wait_until
from tests.test_import import syndicate_import

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture(scope="module")
def ghost(tmp_path_factory: pytest.TempPathFactory, web: WebServer) -> Iterator[RealGhost]:
    site = RealGhost(tmp_path_factory.mktemp("ghost")).start()
    try:
        site.integrate(f"{web.url}/hooks/ghost", WEBHOOK_SECRETS.split(",")[0])
        yield site
    finally:
        site.stop()


def test_publishing_editing_and_unpublishing_in_ghost_reach_feeds_and_review(
    ghost: RealGhost, client: Client
) -> None:
    post = ghost.posts(
        "add",
        {
            "title": "Harbour dredging starts",
            "html": "<p>The dredgers arrive on Monday.</p>",
            "status": "published",
            "tags": ["Harbour"],
        },
    )
    wait_until(lambda: "Harbour dredging starts" in feed_titles(client), timeout=60)
    queued = wait_until(lambda: pending_post(client, post["id"], "newsroom-hook"))
    assert queued["status"] == "pending_review"
    assert "Harbour dredging starts" in str(queued["text"])

    ghost.posts("edit", {"id": post["id"], "title": "Harbour dredging starts early"})
    wait_until(lambda: "Harbour dredging starts early" in feed_titles(client), timeout=60)
    revised = wait_until(
        lambda: (
            (p := pending_post(client, post["id"], "newsroom-hook")) and p["revision"] == 2 and p
        )
    )
    assert "starts early" in str(revised["text"])

    ghost.posts("edit", {"id": post["id"], "status": "draft"})
    wait_until(lambda: "Harbour dredging starts early" not in feed_titles(client), timeout=60)
    wait_until(
        lambda: (pending_post(client, post["id"], "newsroom-hook") or {})["status"] == "cancelled"
    )


def test_ghost_s_social_card_and_no_social_tag_steer_the_posts(
    ghost: RealGhost, client: Client, runtime: Runtime, receiver: Receiver
) -> None:
    social = ghost.posts(
        "add",
        {
            "title": "Council budget passes after a nine-hour session",
            "html": "<p>The vote came at 2 a.m.</p>",
            "status": "published",
            "og_title": "Budget: passed at 2 a.m.",
            "og_description": "Nine hours, one vote.",
        },
    )
    (sent,) = wait_until(lambda: deliveries_for(receiver, "/wire", social["id"]), timeout=60)
    assert sent.json()["text"].startswith("Budget: passed at 2 a.m.\n\nNine hours, one vote.")

    quiet = ghost.posts(
        "add",
        {
            "title": "Corrections and clarifications",
            "html": "<p>A note.</p>",
            "status": "published",
            "tags": ["Notes", "#no-social"],
        },
    )
    wait_until(lambda: "Corrections and clarifications" in feed_titles(client), timeout=60)
    wait_until(lambda: posts_composed(runtime, quiet["id"]))
    assert pending_post(client, quiet["id"], "newsroom-hook") is None
    assert pending_post(client, quiet["id"], "wire") is None


def test_the_whole_history_is_imported_through_ghost_s_content_api(
    ghost: RealGhost, stack_env: dict[str, str], runtime: Runtime
) -> None:
    titles = [f"Archive note {n}" for n in range(1, 4)]
    for title in titles:
        ghost.posts("add", {"title": title, "html": f"<p>{title}.</p>", "status": "published"})
    source = f"{ghost.url}/ghost/api/content/posts/"
    done = syndicate_import(source, "--ghost-key", ghost.content_key, env=stack_env)
    assert done.returncode == 0, done.stderr
    assert "read 1 page(s)" in done.stderr
    with runtime.factory() as session:
        stored = set(session.scalars(select(Article.title).where(Article.title.in_(titles))))
    assert stored == set(titles)
    refused = syndicate_import(source, "--ghost-key", "0" * 26, env=stack_env)
    assert refused.returncode == 1 and "HTTP 401" in refused.stderr
