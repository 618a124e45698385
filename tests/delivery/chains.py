"""Helpers for tests of posts that go out as a chain: a post, the parts of its thread and its
first reply, each a change on the ledger made in order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from syndicate import articles, delivery, lifecycle, posts
from syndicate.cms import parse_generic
from syndicate.config import ChannelConfig, SiteConfig, SyndicateConfig
from syndicate.delivery import DeliveryPolicy, Outcome
from syndicate.models import Delivery, PostChange, utcnow
from syndicate.runtime import Runtime
from tests.client import envelope

POLICY = DeliveryPolicy(max_attempts=3, lease_seconds=60)
# A summary far longer than one post on any platform: a thread of several parts.
LONG_SUMMARY = " ".join(
    f"Stop {n} on the night line gets a new timetable from Monday." for n in range(12)
)


def one_channel(channel: ChannelConfig) -> SyndicateConfig:
    approved = channel.model_copy(update={"auto_approve": True})
    return SyndicateConfig(site=SiteConfig(title="Test"), channels=[approved])


def composed(runtime: Runtime, config: SyndicateConfig, art: dict[str, Any]) -> int:
    """Receive the article and compose its one post; the post's id."""
    articles.receive(runtime.factory, parse_generic(envelope(art)), utcnow())
    with runtime.factory.begin() as session:
        (post_id,) = posts.compose_posts(
            session, art["id"], config, runtime.templates, utcnow()
        ).due
    return post_id


def apply(runtime: Runtime, config: SyndicateConfig, change_id: int, later: float = 0) -> Outcome:
    when = utcnow() + timedelta(seconds=later)
    return lifecycle.apply(runtime.factory, change_id, config, POLICY, when)


def send(runtime: Runtime, config: SyndicateConfig, post_id: int) -> Outcome:
    outcome = delivery.deliver(runtime.factory, post_id, config, POLICY, utcnow())
    assert outcome.status == "sent"
    return outcome


def follow(runtime: Runtime, config: SyndicateConfig, outcome: Outcome) -> None:
    """Make every change the outcome leads to, in order, each once."""
    while outcome.changes:
        (next_id,) = outcome.changes
        outcome = apply(runtime, config, next_id)
        assert outcome.status == "replied"


def looks_first(runtime: Runtime, change_id: int) -> bool:
    with runtime.factory() as session:
        return session.get_one(PostChange, change_id).look_first


def made(runtime: Runtime, post_id: int) -> list[Delivery]:
    """The post's send and its replies that went out, in the order made."""
    with runtime.factory() as session:
        return list(
            session.scalars(
                select(Delivery)
                .where(Delivery.post_id == post_id, Delivery.outcome.in_(["sent", "replied"]))
                .order_by(Delivery.id)
            )
        )
