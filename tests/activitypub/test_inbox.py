"""The newsroom's actors as another server sees them: found by WebFinger, host-meta and
NodeInfo, read as activity+json, followed with a signed Follow that is stored and answered with
a signed Accept on the delivery ledger; and every request that is unsigned, forged, replayed,
oversized, malformed, or signed with a key at a private address refused, nothing stored.
The other server is a loopback server holding a remote actor's document and inbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from syndicate.activitypub import deliveries, service
from syndicate.activitypub.signatures import Incoming, sign, verify
from syndicate.config import ActivityPubConfig, ChannelConfig, SyndicateConfig
from syndicate.models import ApDelivery, ApFollower, ApRemoteKey, Role, utcnow
from syndicate.runtime import Runtime
from syndicate.web.app import create_app
from tests.activitypub.test_signatures import pair
from tests.fakes.receiver import Received, Receiver
from tests.people import Person
from tests.review.browser_session import csrf_of, signed_in
from tests.servers import WebServer, free_port

ACTIVITY = "application/activity+json"


@dataclass
class Remote:
    """Another server with its actors (Ada and any other name), whose key signs their requests."""

    server: Receiver
    private: str
    public: str

    @property
    def ada(self) -> str:
        return self.actor("ada")

    def actor(self, name: str) -> str:
        return f"{self.server.url}/users/{name}"

    def document(self, name: str = "ada") -> dict[str, Any]:
        actor = self.actor(name)
        return {
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": actor,
            "type": "Person",
            "preferredUsername": name,
            "inbox": f"{actor}/inbox",
            "endpoints": {"sharedInbox": f"{self.server.url}/inbox"},
            "publicKey": {
                "id": f"{actor}#main-key",
                "owner": actor,
                "publicKeyPem": self.public,
            },
        }

    def answer(self, request: Received) -> tuple[int, bytes]:
        path = request.path.split("?")[0]
        if request.method == "GET" and path.startswith("/users/") and path.count("/") == 2:
            return 200, json.dumps(self.document(path.removeprefix("/users/"))).encode()
        if request.method == "POST":
            return 202, b""
        return 404, b"{}"


@dataclass
class Site:
    runtime: Runtime
    web: WebServer

    @property
    def url(self) -> str:
        return self.web.url

    def actor(self, name: str = "news") -> str:
        return f"{self.url}/ap/actors/{name}"


def another_server() -> Iterator[Remote]:
    private, public = pair()
    holder: list[Remote] = []
    server = Receiver(lambda request: holder[0].answer(request)).start()
    holder.append(Remote(server, private, public))
    yield holder[0]
    server.stop()


@pytest.fixture
def remote() -> Iterator[Remote]:
    yield from another_server()


def on_the_fediverse(
    runtime: Runtime,
    allow_private: bool = True,
    approve_followers: bool = False,
    reviewed: bool = False,
    **settings: int,
) -> Iterator[Site]:
    """The site on the fediverse with its actors as the channel `fediverse`; `reviewed`: its
    posts wait in the review queue for approval; `settings`: others of its settings."""
    port = free_port()
    site = runtime.file_config.site.model_copy(
        update={
            "activitypub": ActivityPubConfig(
                enabled=True,
                authors={"Ada Reporter": "ada_reporter"},
                approve_followers=approve_followers,
            ),
            "title": "Harbour Gazette",
        }
    )
    channel = ChannelConfig(name="fediverse", platform="activitypub", auto_approve=not reviewed)
    config = SyndicateConfig(site=site, channels=[channel])
    changed = {
        "base_url": f"http://127.0.0.1:{port}",
        "activitypub_allow_private": allow_private,
        # Queues of its own, which no worker takes from: the tests deliver what it queues.
        "redis_prefix": f"{runtime.settings.redis_key_prefix}fediverse-{port}:",
    }
    own = replace(
        runtime,
        settings=runtime.settings.model_copy(update={**changed, **settings}),
        file_config=config,
    )
    web = WebServer(create_app(own), port).start()
    try:
        yield Site(own, web)
    finally:
        web.stop()


@pytest.fixture
def site(runtime: Runtime, clean: None) -> Iterator[Site]:
    yield from on_the_fediverse(runtime)


def signed_post(
    remote: Remote, url: str, activity: dict[str, Any], **change: Any
) -> httpx.Response:
    body = change.pop("body", json.dumps(activity).encode())
    headers = sign(
        "POST",
        url,
        body,
        change.pop("key_id", f"{remote.ada}#main-key"),
        change.pop("private", remote.private),
        change.pop("when", None),
    )
    return httpx.post(url, content=body, headers={**headers, "Content-Type": ACTIVITY, **change})


def follow(remote: Remote, site: Site, name: str = "ada") -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{remote.actor(name)}#follows/1",
        "type": "Follow",
        "actor": remote.actor(name),
        "object": site.actor(),
    }


def stored(site: Site) -> tuple[int, int]:
    with site.runtime.factory() as session:
        followers = session.scalar(select(func.count()).select_from(ApFollower)) or 0
        queued = session.scalar(select(func.count()).select_from(ApDelivery)) or 0
    return followers, queued


def test_the_site_actor_is_found_by_webfinger_host_meta_and_nodeinfo(site: Site) -> None:
    host = site.url.removeprefix("http://")
    found = httpx.get(f"{site.url}/.well-known/webfinger", params={"resource": f"acct:news@{host}"})
    assert found.status_code == 200 and found.headers["content-type"].startswith(
        "application/jrd+json"
    )
    assert found.json()["subject"] == f"acct:news@{host}"
    assert {"rel": "self", "type": ACTIVITY, "href": site.actor()} in found.json()["links"]
    by_url = httpx.get(
        f"{site.url}/.well-known/webfinger", params={"resource": site.actor("ada_reporter")}
    )
    assert by_url.json()["subject"] == f"acct:ada_reporter@{host}"
    assert (
        httpx.get(
            f"{site.url}/.well-known/webfinger", params={"resource": f"acct:nobody@{host}"}
        ).status_code
        == 404
    )
    assert httpx.get(f"{site.url}/.well-known/webfinger").status_code == 400
    meta = httpx.get(f"{site.url}/.well-known/host-meta")
    assert f'template="{site.url}/.well-known/webfinger?resource={{uri}}"' in meta.text
    links = httpx.get(f"{site.url}/.well-known/nodeinfo").json()["links"]
    info = httpx.get(links[0]["href"]).json()
    assert info["version"] == "2.1" and info["protocols"] == ["activitypub"]
    assert info["usage"]["users"]["total"] == 2 and info["software"]["name"] == "syndicate"


def test_the_actors_are_read_as_activity_json_with_their_public_keys(site: Site) -> None:
    news = httpx.get(site.actor(), headers={"Accept": ACTIVITY})
    assert news.headers["content-type"].startswith(ACTIVITY)
    body = news.json()
    assert (body["type"], body["preferredUsername"], body["name"]) == (
        "Service",
        "news",
        "Harbour Gazette",
    )
    assert (
        body["inbox"] == f"{site.actor()}/inbox"
        and body["endpoints"]["sharedInbox"] == f"{site.url}/ap/inbox"
    )
    assert body["publicKey"]["owner"] == site.actor()
    assert body["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert httpx.get(site.actor()).json()["publicKey"] == body["publicKey"]  # made once
    person = httpx.get(site.actor("ada_reporter")).json()
    assert person["type"] == "Person" and person["name"] == "Ada Reporter"
    assert httpx.get(f"{site.actor()}/followers").json()["totalItems"] == 0
    assert httpx.get(site.actor("nobody")).status_code == 404


def test_a_signed_follow_is_stored_and_answered_with_a_signed_accept(
    site: Site, remote: Remote
) -> None:
    answer = signed_post(remote, f"{site.url}/ap/inbox", follow(remote, site))
    assert answer.status_code == 202, answer.text
    with site.runtime.factory() as session:
        (follower,) = session.scalars(select(ApFollower)).all()
        (queued,) = session.scalars(select(ApDelivery)).all()
    assert (follower.actor, follower.follower, follower.status) == ("news", remote.ada, "accepted")
    assert follower.shared_inbox == f"{remote.server.url}/inbox"
    assert queued.inbox == f"{remote.ada}/inbox" and queued.activity["type"] == "Accept"

    where = service.addresses(site.runtime)
    outcome = deliveries.attempt(
        site.runtime.factory, queued.id, where, service.fetcher(site.runtime), utcnow
    )
    assert outcome.status == "sent"
    (accept,) = [r for r in remote.server.received("/users/ada/inbox") if r.method == "POST"]
    assert accept.json()["object"]["id"] == f"{remote.ada}#follows/1"
    assert accept.json()["actor"] == site.actor()

    def our_key(key_id: str, fresh: bool) -> str | None:
        return str(httpx.get(key_id.split("#")[0]).json()["publicKey"]["publicKeyPem"])

    delivered = Incoming("POST", f"{remote.ada}/inbox", accept.headers, accept.body)
    assert verify(delivered, our_key) == f"{site.actor()}#main-key"
    assert httpx.get(f"{site.actor()}/followers").json()["totalItems"] == 1

    undo = {
        "type": "Undo",
        "actor": remote.ada,
        "id": f"{remote.ada}#undo/1",
        "object": follow(remote, site),
    }
    assert signed_post(remote, f"{site.actor()}/inbox", undo).status_code == 202
    assert stored(site)[0] == 0


def test_a_deleted_actor_s_follows_are_dropped(site: Site, remote: Remote) -> None:
    assert signed_post(remote, f"{site.url}/ap/inbox", follow(remote, site)).status_code == 202
    gone = {
        "type": "Delete",
        "actor": remote.ada,
        "id": f"{remote.ada}#delete",
        "object": remote.ada,
    }
    assert signed_post(remote, f"{site.url}/ap/inbox", gone).status_code == 202
    assert stored(site)[0] == 0


def test_unsigned_forged_replayed_oversized_and_malformed_activities_are_refused(
    site: Site, remote: Remote
) -> None:
    inbox = f"{site.url}/ap/inbox"
    activity = follow(remote, site)
    unsigned = httpx.post(inbox, content=json.dumps(activity), headers={"Content-Type": ACTIVITY})
    assert unsigned.status_code == 401 and "not signed" in unsigned.json()["message"]
    forged = signed_post(remote, inbox, activity, private=pair()[0])
    assert forged.status_code == 401 and "does not verify" in forged.json()["message"]
    replayed = signed_post(remote, inbox, activity, when=datetime.now(UTC) - timedelta(hours=13))
    assert replayed.status_code == 401 and "12 hours" in replayed.json()["message"]
    stale, old = {**activity, "actor": remote.actor("old")}, f"{remote.actor('old')}#main-key"
    long_ago = datetime.now(UTC) - timedelta(hours=13)
    unfetched = signed_post(remote, inbox, stale, key_id=old, when=long_ago)
    assert unfetched.status_code == 401 and "12 hours" in unfetched.json()["message"]
    assert remote.server.received("/users/old") == []  # refused before its key was fetched
    someone_else = {**activity, "actor": f"{remote.server.url}/users/bob"}
    impersonated = signed_post(remote, inbox, someone_else)
    assert (
        impersonated.status_code == 401
        and "not signed by the actor" in impersonated.json()["message"]
    )
    huge = signed_post(remote, inbox, activity, body=b"{" + b" " * 300_000 + b"}")
    assert huge.status_code == 413
    broken = signed_post(remote, inbox, activity, body=b"{not json")
    assert broken.status_code == 400 and "not JSON" in broken.json()["message"]
    assert stored(site) == (0, 0)


def test_a_key_at_a_private_address_is_not_fetched(
    runtime: Runtime, remote: Remote, clean: None
) -> None:
    for guarded in on_the_fediverse(runtime, allow_private=False):
        refused = signed_post(remote, f"{guarded.url}/ap/inbox", follow(remote, guarded))
        assert refused.status_code == 401 and "could not be fetched" in refused.json()["message"]
        assert remote.server.received() == []  # nothing was fetched from it
        assert stored(guarded) == (0, 0)
        with runtime.factory() as session:
            assert session.scalar(select(func.count()).select_from(ApRemoteKey)) == 0


def test_a_follow_held_for_an_admin_is_accepted_or_rejected_from_the_review_app(
    runtime: Runtime, remote: Remote, clean: None, people: dict[Role, Person]
) -> None:
    for held in on_the_fediverse(runtime, approve_followers=True):
        assert httpx.get(held.actor()).json()["manuallyApprovesFollowers"] is True
        assert signed_post(remote, f"{held.url}/ap/inbox", follow(remote, held)).status_code == 202
        assert stored(held) == (1, 0)  # held: no Accept yet
        admin = signed_in(held.url, "admin-1")
        page = admin.get("/review/fediverse")
        assert remote.ada in page.text and "Follow requests waiting" in page.text
        with runtime.factory() as session:
            (request,) = session.scalars(select(ApFollower)).all()
        accepted = admin.post(
            f"/review/fediverse/followers/{request.id}/accept",
            data={"csrf_token": csrf_of(page.text)},
        )
        assert accepted.status_code == 303
        with runtime.factory() as session:
            (answer,) = session.scalars(select(ApDelivery)).all()
            assert session.get_one(ApFollower, request.id).status == "accepted"
        assert answer.activity["type"] == "Accept"
        assert answer.activity["object"]["id"] == f"{remote.ada}#follows/1"
        assert httpx.get(f"{held.actor()}/followers").json()["totalItems"] == 1

        bob = {**follow(remote, held), "id": f"{remote.ada}#follows/2"}
        with runtime.factory.begin() as session:
            session.get_one(ApFollower, request.id).status = "pending"
        assert signed_post(remote, f"{held.url}/ap/inbox", bob).status_code == 202
        rejected = admin.post(
            f"/review/fediverse/followers/{request.id}/reject",
            data={"csrf_token": csrf_of(page.text)},
        )
        assert rejected.status_code == 303
        with runtime.factory() as session:
            kinds = [
                d.activity["type"]
                for d in session.scalars(select(ApDelivery).order_by(ApDelivery.id))
            ]
            assert session.get(ApFollower, request.id) is None
        assert kinds == ["Accept", "Reject"]
