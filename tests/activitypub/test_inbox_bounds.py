"""What strangers' servers can make the inbox keep is bounded: followers from one server and
from all of them, a like or a boost once for each actor however many ids it sends them under,
replies from one actor and reactions from one server to one article, and the signed
activities one server may send a minute; senders' keys are fetched a few at a time. A follow
past a cap is refused with a JSON reason and nothing kept; a reaction past one is taken and not
counted."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from syndicate import articles
from syndicate.activitypub import service
from syndicate.activitypub.inbox import Handled, Refused
from syndicate.activitypub.remote import FetchSlots
from syndicate.activitypub.signatures import Incoming, sign
from syndicate.cms import parse_generic
from syndicate.models import ApFollower, ApReaction, utcnow
from syndicate.runtime import Runtime
from tests.activitypub.test_inbox import (
    Remote,
    Site,
    another_server,
    follow,
    on_the_fediverse,
    remote,
    signed_post,
    site,
)
from tests.activitypub.test_signatures import pair
from tests.client import article, envelope
from tests.fakes.receiver import Receiver
from tests.servers import wait_until

__all__ = ["remote", "site"]  # the fixtures


@pytest.fixture
def bounded(runtime: Runtime, clean: None) -> Iterator[Site]:
    yield from on_the_fediverse(
        runtime,
        activitypub_max_followers_per_server=2,
        activitypub_max_followers=3,
        activitypub_max_reactions_per_server=4,
        activitypub_inbox_per_server_per_minute=100,
    )


def signed_as(remote: Remote, name: str, site: Site, activity: dict[str, Any]) -> httpx.Response:
    return signed_post(
        remote, f"{site.url}/ap/inbox", activity, key_id=f"{remote.actor(name)}#main-key"
    )


def followers(site: Site) -> list[str]:
    with site.runtime.factory() as session:
        return sorted(session.scalars(select(ApFollower.follower)))


def test_followers_are_capped_for_one_server_and_for_all_of_them(
    bounded: Site, remote: Remote
) -> None:
    for name in ("ada", "bob"):
        assert signed_as(remote, name, bounded, follow(remote, bounded, name)).status_code == 202
    third = signed_as(remote, "cy", bounded, follow(remote, bounded, "cy"))
    assert third.status_code == 403
    assert third.json()["message"] == "this site keeps at most 2 followers from one server"
    renewed = signed_as(remote, "ada", bounded, follow(remote, bounded, "ada"))
    assert renewed.status_code == 202  # a follow already kept is taken again
    for other in another_server():
        assert signed_as(other, "dee", bounded, follow(other, bounded, "dee")).status_code == 202
        for third_server in another_server():
            late = signed_as(third_server, "eve", bounded, follow(third_server, bounded, "eve"))
            assert late.status_code == 403
            assert late.json()["message"] == "this site keeps at most 3 followers"
        assert followers(bounded) == sorted([remote.ada, remote.actor("bob"), other.actor("dee")])


def reactions(site: Site, article_id: str) -> dict[str, int]:
    with site.runtime.factory() as session:
        rows = session.execute(
            select(ApReaction.kind, func.count())
            .where(ApReaction.article_id == article_id)
            .group_by(ApReaction.kind)
        )
        return {kind: int(count) for kind, count in rows}


def test_a_like_counts_once_an_actor_and_one_server_keeps_its_share_of_reactions(
    bounded: Site, remote: Remote
) -> None:
    runtime = bounded.runtime
    articles.receive(runtime.factory, parse_generic(envelope(article("bounded-1"))), utcnow())
    target = f"{bounded.url}/ap/articles/bounded-1"

    def like(name: str, n: int) -> dict[str, Any]:
        actor = remote.actor(name)
        return {"type": "Like", "id": f"{actor}#likes/{n}", "actor": actor, "object": target}

    for n in range(1, 4):  # one actor liking again and again under new ids
        assert signed_as(remote, "ada", bounded, like("ada", n)).status_code == 202
    assert reactions(bounded, "bounded-1") == {"like": 1}
    answers = [signed_as(remote, name, bounded, like(name, 1)) for name in ("bob", "cy", "dee")]
    assert [a.json()["status"] for a in answers] == ["counted a like"] * 3
    fifth = signed_as(remote, "eve", bounded, like("eve", 1))
    assert fifth.status_code == 202
    assert fifth.json()["status"] == (
        "ignored a like: at most 4 reactions from one server are kept"
    )
    assert reactions(bounded, "bounded-1") == {"like": 4}


def test_one_actor_s_replies_to_an_article_are_capped(site: Site, remote: Remote) -> None:
    runtime = site.runtime
    articles.receive(runtime.factory, parse_generic(envelope(article("bounded-2"))), utcnow())
    target = f"{site.url}/ap/articles/bounded-2"
    answers = []
    for n in range(21):
        note = {"type": "Note", "id": f"{remote.ada}/notes/{n}", "inReplyTo": target}
        create = {"type": "Create", "id": f"{remote.ada}/c/{n}", "actor": remote.ada}
        answers.append(signed_as(remote, "ada", site, {**create, "object": note}))
    assert [a.json()["status"] for a in answers] == ["kept a reply"] * 20 + [
        "ignored a reply: at most 20 replies from one actor are kept"
    ]
    assert reactions(site, "bounded-2") == {"reply": 20}


def test_a_server_sending_too_fast_is_told_when_to_come_back(
    runtime: Runtime, remote: Remote, clean: None
) -> None:
    for fast in on_the_fediverse(runtime, activitypub_inbox_per_server_per_minute=3):
        articles.receive(runtime.factory, parse_generic(envelope(article("bounded-3"))), utcnow())
        target = f"{fast.url}/ap/articles/bounded-3"
        # Seven within a minute: whichever minute boundary falls among them, one minute holds
        # four or more, and the fourth of those is refused.
        answers = []
        for n in range(7):
            actor = remote.actor(f"reader{n}")
            like = {"type": "Like", "id": f"{actor}#like", "actor": actor, "object": target}
            answers.append(signed_as(remote, f"reader{n}", fast, like))
        refused = [a for a in answers if a.status_code == 429]
        assert refused, [a.status_code for a in answers]
        assert all(1 <= int(a.headers["Retry-After"]) <= 60 for a in refused)
        assert refused[0].json()["message"] == (
            "at most 3 activities a minute are taken from one server"
        )
        taken = [a for a in answers if a.status_code == 202]
        assert len(taken) + len(refused) == 7
        assert reactions(fast, "bounded-3") == {"like": len(taken)}


@dataclass
class SlowServer:
    """Another server whose first answer waits until `answer_first` is set."""

    remote: Remote
    answer_first: threading.Event


@pytest.fixture
def slow_server() -> Iterator[SlowServer]:
    private, public = pair()
    first = threading.Event()
    requests = itertools.count()

    def slowly(request: Any) -> tuple[int, bytes]:
        if next(requests) == 0:  # count's next is atomic: one request only is held
            first.wait(30)
        return slow.answer(request)

    slow = Remote(Receiver(slowly).start(), private, public)
    yield SlowServer(slow, first)
    first.set()
    slow.server.stop()


def signed_follow(remote: Remote, site: Site, name: str) -> Incoming:
    url, body = f"{site.url}/ap/inbox", json.dumps(follow(remote, site, name)).encode()
    headers = sign("POST", url, body, f"{remote.actor(name)}#main-key", remote.private)
    return Incoming("POST", url, {k.lower(): v for k, v in headers.items()}, body)


def test_senders_keys_are_fetched_a_few_at_a_time_and_a_request_past_them_is_turned_away(
    site: Site, slow_server: SlowServer
) -> None:
    slow = slow_server.remote
    inbox = service.inbox(site.runtime, FetchSlots(at_once=1, wait_seconds=0.2))
    first: list[Handled] = []
    waiting = threading.Thread(
        target=lambda: first.append(inbox.receive(signed_follow(slow, site, "ada"), utcnow()))
    )
    waiting.start()
    wait_until(lambda: len(slow.server.received("/users/ada")) == 1, timeout=10)
    with pytest.raises(Refused) as turned_away:  # the one slot is taken by Ada's key
        inbox.receive(signed_follow(slow, site, "bob"), utcnow())
    assert (turned_away.value.status, turned_away.value.retry_after) == (503, 5)
    assert "keys are being fetched" in turned_away.value.message
    slow_server.answer_first.set()
    waiting.join(timeout=30)
    assert [h.what for h in first] == ["accepted a follow"]
    assert followers(site) == [slow.ada]  # nothing kept of the request turned away
    assert inbox.receive(signed_follow(slow, site, "bob"), utcnow()).what == "accepted a follow"
    assert followers(site) == sorted([slow.ada, slow.actor("bob")])
