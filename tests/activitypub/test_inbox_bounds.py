"""What strangers' servers can make the inbox keep is bounded: followers from one server and
from all of them, a like or a boost once for each actor however many ids it sends them under,
replies from one actor and reactions from one server to one article, and the signed
activities one server may send a minute. A follow past a cap is refused with a JSON reason
and nothing kept; a reaction past one is taken and not counted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from syndicate import articles
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
)
from tests.client import article, envelope

__all__ = ["remote"]  # the fixture


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


def test_one_actor_s_replies_to_an_article_are_capped(
    runtime: Runtime, remote: Remote, clean: None
) -> None:
    for site in on_the_fediverse(runtime, activitypub_inbox_per_server_per_minute=100):
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
    for site in on_the_fediverse(runtime, activitypub_inbox_per_server_per_minute=3):
        articles.receive(runtime.factory, parse_generic(envelope(article("bounded-3"))), utcnow())
        target = f"{site.url}/ap/articles/bounded-3"
        # Seven within a minute: whichever minute boundary falls among them, one minute holds
        # four or more, and the fourth of those is refused.
        answers = []
        for n in range(7):
            actor = remote.actor(f"reader{n}")
            like = {"type": "Like", "id": f"{actor}#like", "actor": actor, "object": target}
            answers.append(signed_as(remote, f"reader{n}", site, like))
        refused = [a for a in answers if a.status_code == 429]
        assert refused, [a.status_code for a in answers]
        assert all(1 <= int(a.headers["Retry-After"]) <= 60 for a in refused)
        assert refused[0].json()["message"] == (
            "at most 3 activities a minute are taken from one server"
        )
        taken = [a for a in answers if a.status_code == 202]
        assert len(taken) + len(refused) == 7
        assert reactions(site, "bounded-3") == {"like": len(taken)}
