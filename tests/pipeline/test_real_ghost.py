"""The real Ghost drives Syndicate: an integration's webhooks, created through Ghost's Admin
API and signed with X-Ghost-Signature, carry a post's publish, edits and unpublish to the
feeds and the review queue."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.client import Client
from tests.conftest import WEBHOOK_SECRETS
from tests.peers.ghost import RealGhost
from tests.pipeline.test_article_to_post import feed_titles, pending_post
from tests.servers import WebServer, wait_until

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
    assert pending_post(client, post["id"], "newsroom-hook")["status"] == "cancelled"
