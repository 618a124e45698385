"""Articles reach the actors' followers: a `Create` of an `Article` when published (one
delivery per shared inbox, however many of its users follow), an `Update` of the same object
when it changes, a `Delete` with a `Tombstone` when it is unpublished, nothing twice; the
article is readable at its id, and from its card page by content negotiation; the CMS keeps
an article off the fediverse as off any channel."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from syndicate import articles
from syndicate.activitypub import articles as federation
from syndicate.activitypub import deliveries, service
from syndicate.cms import parse_generic
from syndicate.models import ApDelivery, ApFollower, utcnow
from syndicate.runtime import Runtime
from tests.activitypub.test_inbox import Remote, Site, follow, remote, signed_post, site
from tests.client import article, envelope

__all__ = ["remote", "site"]  # the fixtures


def publish(runtime: Runtime, art: dict[str, Any], event: str = "article.published") -> list[int]:
    articles.receive(runtime.factory, parse_generic(envelope(art, event)), utcnow())
    with runtime.factory.begin() as session:
        where = service.addresses(runtime)
        return federation.federate(session, art["id"], service.site_of(runtime), where, utcnow())


def activity(runtime: Runtime, delivery_id: int) -> tuple[str, dict[str, Any]]:
    with runtime.factory() as session:
        row = session.get_one(ApDelivery, delivery_id)
        return row.inbox, row.activity


def followed_twice(site: Site, remote: Remote) -> None:
    """Ada follows; so does Bob, on the same server, behind the same shared inbox."""
    assert signed_post(remote, f"{site.url}/ap/inbox", follow(remote, site)).status_code == 202
    with site.runtime.factory.begin() as session:
        session.add(
            ApFollower(
                actor="news",
                follower=f"{remote.server.url}/users/bob",
                inbox=f"{remote.server.url}/users/bob/inbox",
                shared_inbox=f"{remote.server.url}/inbox",
                status="accepted",
                created_at=utcnow(),
            )
        )


def test_an_article_is_created_updated_and_deleted_on_the_fediverse_once_each(
    site: Site, remote: Remote
) -> None:
    followed_twice(site, remote)
    runtime = site.runtime
    art = article(
        "ap-1",
        title="Ferry timetable returns",
        content_html="<p>From Monday.</p><script>alert(1)</script>",
        tags=["Harbour News"],
    )
    (created,) = publish(runtime, art)
    inbox, sent = activity(runtime, created)
    assert inbox == f"{remote.server.url}/inbox"  # once for Ada and Bob
    body = sent["object"]
    assert (sent["type"], sent["actor"]) == ("Create", site.actor())
    assert body["type"] == "Article" and body["name"] == "Ferry timetable returns"
    assert body["content"] == "<p>From Monday.</p>" and body["url"] == art["url"]
    assert body["attributedTo"] == site.actor("ada_reporter")
    assert body["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert {k: body["tag"][0][k] for k in ("type", "name")} == {
        "type": "Hashtag",
        "name": "#harbournews",
    }
    with runtime.factory.begin() as session:
        again = federation.federate(
            session, "ap-1", service.site_of(runtime), service.addresses(runtime), utcnow()
        )
    assert again == []  # nothing changed: nothing sent

    read = httpx.get(body["id"], headers={"Accept": "application/activity+json"})
    assert read.status_code == 200 and read.json()["id"] == body["id"]
    negotiated = httpx.get(
        f"{site.url}/cards/ap-1", headers={"Accept": "application/activity+json"}
    )
    assert negotiated.json() == read.json()
    outbox = httpx.get(f"{site.actor()}/outbox").json()
    assert outbox["totalItems"] == 1
    assert httpx.get(outbox["first"]).json()["orderedItems"][0]["object"]["id"] == body["id"]

    where, fetcher = service.addresses(runtime), service.fetcher(runtime)
    assert deliveries.attempt(runtime.factory, created, where, fetcher, utcnow).status == "sent"
    (posted,) = [r for r in remote.server.received("/inbox") if r.method == "POST"]
    assert posted.json()["object"]["id"] == body["id"] and "signature" in posted.headers

    (updated,) = publish(
        runtime, {**art, "title": "Ferry timetable returns on Monday"}, "article.updated"
    )
    _, change = activity(runtime, updated)
    assert change["type"] == "Update" and change["object"]["id"] == body["id"]
    assert change["object"]["name"] == "Ferry timetable returns on Monday"

    (deleted,) = publish(runtime, {"id": "ap-1"}, "article.unpublished")
    _, gone = activity(runtime, deleted)
    assert gone["type"] == "Delete" and gone["object"]["type"] == "Tombstone"
    assert gone["object"]["id"] == body["id"]
    assert httpx.get(body["id"]).status_code == 410
    assert httpx.get(f"{site.actor()}/outbox").json()["totalItems"] == 0


def test_the_cms_keeps_an_article_off_the_fediverse(site: Site, remote: Remote) -> None:
    followed_twice(site, remote)
    kept = article("ap-2", syndication={"exclude_channels": ["fediverse"]})
    assert publish(site.runtime, kept) == []
    assert httpx.get(f"{site.url}/ap/articles/ap-2").status_code == 404
    with site.runtime.factory() as session:
        assert [d.activity["type"] for d in session.scalars(select(ApDelivery))] == ["Accept"]
