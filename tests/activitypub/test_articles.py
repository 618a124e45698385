"""Articles reach the actors' followers: a `Create` of an `Article` when published (one
delivery per shared inbox, however many of its users follow), an `Update` of the same object
when it changes, a `Delete` with a `Tombstone` when it is unpublished, nothing twice; the
article is readable at its id, and from its card page by content negotiation; the CMS keeps
an article off the fediverse as off any channel."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from syndicate import articles, delivery, lifecycle, posts, review
from syndicate.activitypub import articles as federation
from syndicate.activitypub import deliveries, mentions, service
from syndicate.activitypub.followers import follower_values
from syndicate.activitypub.outbox import Outbox
from syndicate.cms import parse_generic
from syndicate.delivery import DeliveryPolicy, idempotency_key
from syndicate.models import ApDelivery, ApFollower, Post, PostStatus, Role, utcnow
from syndicate.runtime import Runtime
from tests.activitypub.test_inbox import (
    Remote,
    Site,
    follow,
    on_the_fediverse,
    remote,
    signed_post,
    site,
)
from tests.activitypub.test_signatures import pair
from tests.client import article, envelope
from tests.people import Person
from tests.review.browser_session import signed_in

__all__ = ["remote", "site"]  # the fixtures
POLICY = DeliveryPolicy()


def publish(runtime: Runtime, art: dict[str, Any], event: str = "article.published") -> list[int]:
    """The CMS's event, then what the workers do with it: the fediverse channel's post composed
    and sent (or its edit or delete made); the fediverse deliveries the outbox wrote."""
    articles.receive(runtime.factory, parse_generic(envelope(art, event)), utcnow())
    with runtime.factory.begin() as session:
        work = posts.compose_posts(session, art["id"], runtime.config, runtime.templates, utcnow())
    return sent_out(runtime, work.due, work.changes)


def sent_out(
    runtime: Runtime, post_ids: Sequence[int], change_ids: Sequence[int] = ()
) -> list[int]:
    written: list[int] = []
    box = outbox(runtime, written)
    for post_id in post_ids:
        assert (
            delivery.deliver(
                runtime.factory, post_id, runtime.config, POLICY, utcnow(), outbox=box
            ).status
            == "sent"
        )
    for change_id in change_ids:
        lifecycle.apply(runtime.factory, change_id, runtime.config, POLICY, utcnow(), outbox=box)
    return written


def outbox(runtime: Runtime, written: list[int]) -> Outbox:
    return service.outbox(runtime, written.extend)


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
                **follower_values(
                    "news",
                    f"{remote.server.url}/users/bob",
                    f"{remote.server.url}/users/bob/inbox",
                    f"{remote.server.url}/inbox",
                    "accepted",
                    utcnow(),
                )
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
        (post,) = session.scalars(select(Post).where(Post.article_id == "ap-1"))
        assert post.status == PostStatus.SENT and post.remote_id == body["id"]
        again = federation.publish(
            session,
            "ap-1",
            body["summary"],
            idempotency_key(post),
            service.site_of(runtime),
            service.addresses(runtime),
            utcnow(),
        )
    assert again == []  # the same post again (a lost answer, sent once more): nothing new

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


def test_likes_boosts_and_replies_are_verified_counted_and_shown_never_republished(
    site: Site, remote: Remote, people: dict[Role, Person]
) -> None:
    followed_twice(site, remote)
    (created,) = publish(site.runtime, article("ap-3", title="Bridge approved"))
    _, sent = activity(site.runtime, created)
    target = sent["object"]["id"]
    inbox = f"{site.url}/ap/inbox"
    like = {"type": "Like", "id": f"{remote.ada}#likes/1", "actor": remote.ada, "object": target}
    boost = {
        "type": "Announce",
        "id": f"{remote.ada}#boosts/1",
        "actor": remote.ada,
        "object": target,
    }
    note = {
        "type": "Note",
        "id": f"{remote.ada}/notes/1",
        "url": f"{remote.server.url}/@ada/1",
        "inReplyTo": target,
        "content": "<p>Finally! <script>alert(1)</script>&lt;3</p>",
    }
    reply = {
        "type": "Create",
        "id": f"{remote.ada}/notes/1#create",
        "actor": remote.ada,
        "object": note,
    }
    for sent_activity in (like, like, boost, reply):
        assert signed_post(remote, inbox, sent_activity).status_code == 202
    forged_like = {**like, "id": f"{remote.ada}#likes/2"}
    assert signed_post(remote, inbox, forged_like, private=pair()[0]).status_code == 401

    viewer = {"Authorization": f"Bearer {people[Role.VIEWER].token}"}
    counted = httpx.get(f"{site.url}/api/articles/ap-3/engagement", headers=viewer).json()
    assert counted["fediverse"]["likes"] == 1 and counted["fediverse"]["announces"] == 1
    assert counted["fediverse"]["replies"] == 1
    assert counted["fediverse"]["recent_replies"][0]["text"] == "Finally! <3"
    page = signed_in(site.url, "viewer-1").get("/review/articles/ap-3").text
    assert "Finally! &lt;3" in page and "<script>alert(1)" not in page

    undo = {"type": "Undo", "id": f"{remote.ada}#undo/like", "actor": remote.ada, "object": like}
    assert signed_post(remote, inbox, undo).status_code == 202
    gone = {
        "type": "Delete",
        "id": f"{remote.ada}#delete/1",
        "actor": remote.ada,
        "object": note["id"],
    }
    assert signed_post(remote, inbox, gone).status_code == 202
    after = httpx.get(f"{site.url}/api/articles/ap-3/engagement", headers=viewer).json()
    assert (after["fediverse"]["likes"], after["fediverse"]["replies"]) == (0, 0)
    assert after["fediverse"]["announces"] == 1


@pytest.fixture
def reviewed_site(runtime: Runtime, clean: None) -> Iterator[Site]:
    yield from on_the_fediverse(runtime, reviewed=True)


def test_the_desk_reviews_and_rewords_what_the_fediverse_is_sent(
    reviewed_site: Site, remote: Remote
) -> None:
    site, runtime = reviewed_site, reviewed_site.runtime
    followed_twice(site, remote)
    assert publish(runtime, article("ap-4", summary="The vote was 7 to 2.")) == []
    with runtime.factory.begin() as session:
        (post,) = session.scalars(select(Post).where(Post.article_id == "ap-4"))
        assert (post.status, post.text) == (PostStatus.PENDING_REVIEW, "The vote was 7 to 2.")
        edited = review.edit(
            session, post.id, "Seven votes to two.", runtime.config, runtime.templates, utcnow()
        )
        review.approve(session, post.id, utcnow(), "editor-1", edited.post.revision)
        post_id = post.id
    (created,) = sent_out(runtime, [post_id])
    _, sent = activity(runtime, created)
    assert sent["type"] == "Create" and sent["object"]["summary"] == "Seven votes to two."


def test_an_embargoed_article_reaches_the_fediverse_when_its_embargo_lifts(
    site: Site, remote: Remote
) -> None:
    followed_twice(site, remote)
    runtime, lifts = site.runtime, utcnow() + timedelta(hours=2)
    embargoed = article("ap-5", syndication={"not_before": lifts.isoformat()})
    articles.receive(runtime.factory, parse_generic(envelope(embargoed)), utcnow())
    with runtime.factory.begin() as session:
        work = posts.compose_posts(session, "ap-5", runtime.config, runtime.templates, utcnow())
    (post_id,) = work.due
    written: list[int] = []
    box = outbox(runtime, written)
    held = delivery.deliver(runtime.factory, post_id, runtime.config, POLICY, utcnow(), outbox=box)
    assert held.status == "embargoed" and written == []
    assert httpx.get(f"{site.url}/ap/articles/ap-5").status_code == 404
    after = lifts + timedelta(seconds=1)
    out = delivery.deliver(runtime.factory, post_id, runtime.config, POLICY, after, outbox=box)
    assert out.status == "sent" and len(written) == 1
    assert activity(runtime, written[0])[1]["type"] == "Create"


def test_the_authors_are_mentioned_and_told_once_and_of_each_change_wherever_their_account_is(
    site: Site, remote: Remote
) -> None:
    runtime = site.runtime  # Ada has an actor here (ada_reporter) and her account at `remote`
    authors = [{"name": "Ada Reporter", "handles": {"fediverse": remote.ada}}]
    art = article("ap-6", authors=authors)
    created = publish(runtime, art)
    assert len(created) == 1  # nobody follows yet: only Ada's server is told, and once
    inbox, sent = activity(runtime, created[0])
    assert inbox == f"{remote.server.url}/inbox"
    mentioned = {t["href"]: t["name"] for t in sent["object"]["tag"] if t["type"] == "Mention"}
    here = urlsplit(site.url).netloc
    assert mentioned == {
        remote.ada: f"@ada@{urlsplit(remote.server.url).netloc}",
        site.actor("ada_reporter"): f"@ada_reporter@{here}",
    }
    assert remote.ada in sent["cc"] and remote.ada in sent["object"]["cc"]

    looked_up: list[str] = []

    def resolve(account: str) -> mentions.Mentioned | None:
        looked_up.append(account)
        return None

    with runtime.factory() as session:
        (post,) = session.scalars(select(Post).where(Post.article_id == "ap-6"))
        key = idempotency_key(post)
    again = Outbox(
        runtime.factory,
        lambda session: service.site_of(runtime, session),
        service.addresses(runtime),
        lambda ids: pytest.fail(f"a repeated send wrote deliveries {ids}"),
        resolve,
    )
    assert again.publish("ap-6", "Again.", key) == sent["object"]["id"]
    assert looked_up == []  # the same post once more: nobody is looked up again

    # Her server, told of the article, hears of its change and its removal, mentioned or not.
    unmentioned = {**art, "title": "A new title", "authors": [{"name": "Ada Reporter"}]}
    (updated,) = publish(runtime, unmentioned, "article.updated")
    inbox, changed = activity(runtime, updated)
    assert (inbox, changed["type"]) == (f"{remote.server.url}/inbox", "Update")
    assert remote.ada not in changed["cc"]
    (deleted,) = publish(runtime, {"id": "ap-6"}, "article.unpublished")
    inbox, gone = activity(runtime, deleted)
    assert (inbox, gone["type"]) == (f"{remote.server.url}/inbox", "Delete")


def test_an_account_is_looked_up_over_https_by_webfinger_and_nonsense_is_not() -> None:
    assert mentions.webfinger_url("@Ada@Mastodon.Example") == (
        "https://mastodon.example/.well-known/webfinger?resource=acct%3AAda%40mastodon.example"
    )
    for nonsense in ("ada", "@ada@", "@a b@host", "@ada@host/path", "@ada@127.0.0.1:99999x"):
        assert mentions.webfinger_url(nonsense) is None
