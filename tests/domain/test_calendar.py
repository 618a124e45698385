"""The calendar: scheduled, embargoed and sent posts per channel in a span, quiet hours as
moments across daylight-saving changes, posts per channel day against the cap; and each
channel's day on the dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from syndicate import articles, delivery, deskcalendar, posts, routing
from syndicate.cms import parse_generic
from syndicate.config import ChannelConfig, ChannelRules, SiteConfig, SyndicateConfig
from syndicate.delivery import DeliveryPolicy
from syndicate.models import Post, PostStatus, utcnow
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.fakes.receiver import Receiver


def test_quiet_hours_become_moments_cut_to_the_span_across_a_dst_change() -> None:
    rules = ChannelRules(quiet_hours="23:00-06:30", timezone="Europe/Berlin")
    # Berlin's clocks went back at 03:00 on 25 October 2026: that night lasted an hour longer.
    starts = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    ends = datetime(2026, 10, 26, 12, 0, tzinfo=UTC)
    assert routing.quiet_spans(rules, starts, ends) == [
        (datetime(2026, 10, 24, 21, 0, tzinfo=UTC), datetime(2026, 10, 25, 5, 30, tzinfo=UTC)),
        (datetime(2026, 10, 25, 22, 0, tzinfo=UTC), datetime(2026, 10, 26, 5, 30, tzinfo=UTC)),
    ]
    cut = routing.quiet_spans(rules, datetime(2026, 10, 25, 0, 0, tzinfo=UTC), ends)
    assert cut[0][0] == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    assert routing.quiet_spans(ChannelRules(), starts, ends) == []


def desk(receiver: Receiver, **rules: Any) -> SyndicateConfig:
    wire = ChannelConfig(
        name="wire", platform="webhook", url=f"{receiver.url}/wire", rules=ChannelRules(**rules)
    )
    desk_channel = ChannelConfig(name="desk", platform="webhook", url=f"{receiver.url}/desk-ch")
    return SyndicateConfig(site=SiteConfig(title="Test"), channels=[wire, desk_channel])


def publish(runtime: Runtime, cfg: SyndicateConfig, article_id: str, **fields: Any) -> None:
    data = article(article_id, title=f"Story {article_id}", **fields)
    articles.receive(runtime.factory, parse_generic(envelope(data)), utcnow())
    with runtime.factory.begin() as session:
        posts.compose_posts(session, article_id, cfg, runtime.templates, utcnow())


def post_of(runtime: Runtime, article_id: str, channel: str) -> Post:
    with runtime.factory() as session:
        query = select(Post).where(Post.article_id == article_id, Post.channel == channel)
        return session.scalars(query).one()


def test_the_calendar_shows_scheduled_embargoed_and_sent_posts_and_the_caps(
    runtime: Runtime, receiver: Receiver, clean: None
) -> None:
    now = utcnow()
    # Quiet hours that never hold this test's sends: an hour starting two hours from now.
    berlin = ZoneInfo("Europe/Berlin")
    quiet = "-".join(
        (now + timedelta(hours=h)).astimezone(berlin).strftime("%H:%M") for h in (2, 3)
    )
    cfg = desk(receiver, max_per_day=3, quiet_hours=quiet, timezone="Europe/Berlin")
    publish(runtime, cfg, "sent-1")
    publish(runtime, cfg, "later-1")
    embargo = (now + timedelta(days=2)).replace(microsecond=0)
    publish(runtime, cfg, "embargo-1", syndication={"not_before": embargo.isoformat()})
    at = (now + timedelta(days=1)).replace(microsecond=0)
    with runtime.factory.begin() as session:
        for post in session.scalars(select(Post).where(Post.channel == "wire")):
            post.status = PostStatus.APPROVED
            if post.article_id == "later-1":
                post.scheduled_at = at
    sent = post_of(runtime, "sent-1", "wire")
    outcome = delivery.deliver(runtime.factory, sent.id, cfg, DeliveryPolicy(), utcnow())
    assert outcome.status == "sent"

    with runtime.factory() as session:
        found = deskcalendar.build(session, cfg, now - timedelta(hours=1), now + timedelta(days=7))
    wire = [(e.article_id, e.kind, e.at) for e in found.entries if e.channel == "wire"]
    assert wire[1:] == [("later-1", "scheduled", at), ("embargo-1", "embargoed", embargo)]
    assert wire[0][:2] == ("sent-1", "sent")
    # The desk channel's posts wait for review: only the embargoed one has a time.
    assert [(e.article_id, e.kind) for e in found.entries if e.channel == "desk"] == [
        ("embargo-1", "embargoed")
    ]
    lane = next(lane for lane in found.lanes if lane.name == "wire")
    berlin_today = utcnow().astimezone(berlin).date()
    assert lane.sent_per_day[berlin_today] == 1 and lane.max_per_day == 3
    assert len(lane.quiet) >= 7

    with runtime.factory() as session:
        (wire_today, desk_today) = deskcalendar.today(session, cfg, utcnow())
    assert (wire_today.name, wire_today.sent_today, wire_today.max_per_day) == ("wire", 1, 3)
    assert wire_today.health == "ok"
    assert wire_today.next_send is not None
    assert abs((wire_today.next_send - at).total_seconds()) < 1  # later-1, before the embargo
    assert desk_today.next_send is None


def test_a_span_longer_than_a_month_is_refused(runtime: Runtime, receiver: Receiver) -> None:
    with runtime.factory() as session, pytest.raises(ValueError, match="31 days"):
        deskcalendar.build(session, desk(receiver), utcnow(), utcnow() + timedelta(days=32))


def test_the_calendar_api_answers_the_same_and_names_a_bad_span(client: Client) -> None:
    assert client.send(envelope(article("cal-api"))).status_code == 202
    start = date.today().isoformat() + "T00:00:00Z"
    week = client.api("GET", "/calendar", params={"from": start})
    assert week.status_code == 200
    body = week.json()
    assert body["from"].startswith(start[:10] + "T00:00:00")
    assert {c["name"] for c in body["channels"]} == {"newsroom-hook", "wire"}
    assert all(len(c["days"]) in (7, 8) for c in body["channels"])
    too_long = client.api("GET", "/calendar", params={"from": start, "to": "2099-01-01T00:00:00Z"})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "to"
    garbled = client.api("GET", "/calendar", params={"from": "next tuesday"})
    assert garbled.status_code == 422
