"""Each server is paced (one request every HOST_GAP, each waiting activity holding its own
turn), and one that has failed for a week is dropped from delivery, its followers kept: no
activity is sent its way until it is heard from again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update

from syndicate.activitypub import articles as federation
from syndicate.activitypub import deliveries, service
from syndicate.activitypub.followers import follower_values
from syndicate.activitypub.hosts import host_of
from syndicate.models import ApFollower, ApHost, Role, utcnow
from tests.activitypub.test_inbox import Remote, Site, follow, remote, signed_post, site
from tests.people import Person
from tests.review.browser_session import signed_in
from tests.servers import free_port

__all__ = ["remote", "site"]  # the fixtures


def test_a_server_failing_for_a_week_is_dropped_and_taken_back_when_it_speaks(
    site: Site, remote: Remote, people: dict[Role, Person]
) -> None:
    runtime, where, fetcher = (
        site.runtime,
        service.addresses(site.runtime),
        service.fetcher(site.runtime),
    )
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with runtime.factory.begin() as session:
        session.add(
            ApFollower(
                **follower_values(
                    "news",
                    f"{down}/users/cy",
                    f"{down}/users/cy/inbox",
                    f"{down}/inbox",
                    "accepted",
                    utcnow(),
                )
            )
        )
        first = deliveries.enqueue(
            session, "news", f"{down}/inbox", {"type": "Create"}, utcnow() - timedelta(seconds=1)
        )
    start = utcnow()

    def at(seconds: float) -> Callable[[], datetime]:
        return lambda: start + timedelta(seconds=seconds)

    assert deliveries.attempt(runtime.factory, first, where, fetcher, at(0)).status == "retry"
    host = host_of(down)
    with runtime.factory.begin() as session:
        assert session.get_one(ApHost, host).failing_since is not None
        session.execute(
            update(ApHost)
            .where(ApHost.host == host)
            .values(failing_since=utcnow() - timedelta(days=8))
        )
        second = deliveries.enqueue(session, "news", f"{down}/inbox", {"type": "Create"}, start)
    assert deliveries.attempt(runtime.factory, second, where, fetcher, at(1)).status == "retry"
    with runtime.factory.begin() as session:
        assert session.get_one(ApHost, host).dropped
        assert federation.inboxes(session, "news") == []  # kept, but not delivered to
    page = signed_in(site.url, "admin-1").get("/review/fediverse").text
    assert f'<tr data-server="{host}"><td>{host}</td>' in page and "<td>1</td></tr>" in page
    with runtime.factory.begin() as session:
        third = deliveries.enqueue(session, "news", f"{down}/inbox", {"type": "Create"}, start)
    assert deliveries.attempt(runtime.factory, third, where, fetcher, at(2)).status == "failed"

    with runtime.factory.begin() as session:  # the server speaks again
        deliveries.heard_from(session, f"{down}/users/cy")
        assert not session.get_one(ApHost, host).dropped
        assert federation.inboxes(session, "news") == [f"{down}/inbox"]
    assert signed_post(remote, f"{site.url}/ap/inbox", follow(remote, site)).status_code == 202


def test_a_burst_to_one_server_takes_turns_one_gap_apart_each_sent_once(
    site: Site, remote: Remote
) -> None:
    runtime, where, fetcher = (
        site.runtime,
        service.addresses(site.runtime),
        service.fetcher(site.runtime),
    )
    inbox, start, gap = f"{remote.server.url}/inbox", utcnow(), deliveries.HOST_GAP
    with runtime.factory.begin() as session:
        ids = [
            deliveries.enqueue(session, "news", inbox, {"type": "Create", "n": n}, start)
            for n in range(4)
        ]

    def attempt(delivery_id: int, moment: datetime) -> deliveries.Outcome:
        return deliveries.attempt(runtime.factory, delivery_id, where, fetcher, lambda: moment)

    assert attempt(ids[0], start).status == "sent"
    waits = [attempt(i, start).retry_in for i in ids[1:]]
    assert waits == [(gap * n).total_seconds() for n in (1, 2, 3)]  # a turn each, in order
    assert attempt(ids[3], start + gap).status == "skipped"  # not its turn yet
    for n, delivery_id in enumerate(ids[1:], start=1):
        assert attempt(delivery_id, start + gap * n).status == "sent"
    posted = [r.json()["n"] for r in remote.server.received("/inbox") if r.method == "POST"]
    assert posted == [0, 1, 2, 3]


def test_two_activities_for_one_server_go_one_gap_apart(site: Site, remote: Remote) -> None:
    runtime, where, fetcher = (
        site.runtime,
        service.addresses(site.runtime),
        service.fetcher(site.runtime),
    )
    inbox, start = f"{remote.server.url}/inbox", utcnow()
    with runtime.factory.begin() as session:
        ids = [
            deliveries.enqueue(session, "news", inbox, {"type": "Create", "n": n}, start)
            for n in (1, 2)
        ]
    assert (
        deliveries.attempt(runtime.factory, ids[0], where, fetcher, lambda: start).status == "sent"
    )
    held = deliveries.attempt(runtime.factory, ids[1], where, fetcher, lambda: start)
    assert held.status == "retry" and held.retry_in == deliveries.HOST_GAP.total_seconds()
    assert len([r for r in remote.server.received("/inbox") if r.method == "POST"]) == 1
    later = start + deliveries.HOST_GAP
    assert (
        deliveries.attempt(runtime.factory, ids[1], where, fetcher, lambda: later).status == "sent"
    )
    assert [r.json()["n"] for r in remote.server.received("/inbox") if r.method == "POST"] == [1, 2]
