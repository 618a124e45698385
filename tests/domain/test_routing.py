"""A channel's rules: which articles it posts, which skip review, and when it may send; and
composing and delivering by them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from syndicate import articles, delivery, posts, routing
from syndicate.cms import parse_generic
from syndicate.config import ChannelConfig, ChannelRules, SiteConfig, SyndicateConfig
from syndicate.delivery import DeliveryPolicy
from syndicate.models import Article, Delivery, Post, PostStatus, Role, utcnow
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.fakes.receiver import Receiver
from tests.people import Person
from tests.review.browser_session import signed_in

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def story(**fields: object) -> Article:
    values: dict[str, object] = {
        "id": "a1",
        "title": "Budget vote",
        "section": "Politics",
        "tags": ["Budget", "Council"],
        "authors": [{"name": "Ada Quill"}],
        "published_at": NOW - timedelta(hours=2),
    }
    values.update(fields)
    return Article(**values)


@pytest.mark.parametrize(
    ("rules", "fields", "reason"),
    [
        ({"sections": ["Politics", "World"]}, {}, None),
        ({"sections": ["politics"]}, {}, None),  # names are compared without case
        (
            {"sections": ["World"]},
            {},
            "rules.sections: the section 'Politics' is not one of World",
        ),
        (
            {"sections": ["World"]},
            {"section": None},
            "rules.sections: no section is not one of World",
        ),
        ({"tags_any": ["Breaking", "Budget"]}, {}, None),
        ({"tags_any": ["Breaking"]}, {}, "rules.tags_any: none of the tags Breaking"),
        ({"tags_none": ["Sponsored"]}, {}, None),
        (
            {"tags_none": ["Sponsored"]},
            {"tags": ["Budget", "sponsored"]},
            "rules.tags_none: tagged sponsored",
        ),
        ({"authors": ["Ada Quill"]}, {}, None),
        ({"authors": ["Bo Pen"]}, {}, "rules.authors: by none of Bo Pen"),
        ({"max_age_hours": 3}, {}, None),
        (
            {"max_age_hours": 1},
            {},
            "rules.max_age_hours: published 2 h ago, the limit is 1 h",
        ),
    ],
)
def test_each_rule_keeps_an_article_off_the_channel_and_says_which(
    rules: dict[str, object], fields: dict[str, object], reason: str | None
) -> None:
    assert routing.excluded_by(ChannelRules(**rules), story(**fields), NOW) == reason


def test_a_tag_named_for_it_lets_a_post_skip_review() -> None:
    rules = ChannelRules(auto_approve_tags=["Breaking"])
    assert routing.fast_tracked(rules, story(tags=["breaking", "Budget"]))
    assert not routing.fast_tracked(rules, story())


def test_quiet_hours_across_midnight_end_in_the_channel_s_time_zone() -> None:
    rules = ChannelRules(quiet_hours="23:00-06:30", timezone="Europe/Berlin")
    # 23:30 in Berlin (UTC+1 in winter): quiet until 06:30 Berlin, 05:30 UTC.
    assert routing.quiet_until(rules, datetime(2026, 12, 3, 22, 30, tzinfo=UTC)) == datetime(
        2026, 12, 4, 5, 30, tzinfo=UTC
    )
    # 02:00 in Berlin, after midnight, still inside the same night.
    assert routing.quiet_until(rules, datetime(2026, 12, 4, 1, 0, tzinfo=UTC)) == datetime(
        2026, 12, 4, 5, 30, tzinfo=UTC
    )
    assert routing.quiet_until(rules, datetime(2026, 12, 4, 6, 0, tzinfo=UTC)) is None


def test_quiet_hours_follow_a_daylight_saving_change() -> None:
    rules = ChannelRules(quiet_hours="01:00-05:00", timezone="Europe/Berlin")
    # The night clocks go forward (29 March 2026, 02:00 -> 03:00): 05:00 is 03:00 UTC.
    assert routing.quiet_until(rules, datetime(2026, 3, 29, 0, 30, tzinfo=UTC)) == datetime(
        2026, 3, 29, 3, 0, tzinfo=UTC
    )
    # The night before, in winter time, 05:00 was 04:00 UTC.
    assert routing.quiet_until(rules, datetime(2026, 3, 28, 0, 30, tzinfo=UTC)) == datetime(
        2026, 3, 28, 4, 0, tzinfo=UTC
    )


def test_a_day_runs_from_local_midnight_to_the_next() -> None:
    rules = ChannelRules(timezone="America/New_York")
    begins, ends = routing.day_of(
        rules, datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    )  # 22:00 on the 3rd
    assert (begins, ends) == (
        datetime(2026, 12, 3, 5, 0, tzinfo=UTC),
        datetime(2026, 12, 4, 5, 0, tzinfo=UTC),
    )
    short = routing.day_of(rules, datetime(2026, 3, 8, 12, 0, tzinfo=UTC))  # clocks go forward
    assert short[1] - short[0] == timedelta(hours=23)


def test_malformed_rules_are_refused_naming_the_value() -> None:
    with pytest.raises(ValidationError, match="quiet_hours is a range"):
        ChannelRules(quiet_hours="11pm-6am")
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        ChannelRules(timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="Extra inputs"):
        ChannelRules.model_validate({"section": ["Politics"]})


def desk(receiver: Receiver, **rules: object) -> SyndicateConfig:
    channel = ChannelConfig(
        name="wire",
        platform="webhook",
        url=f"{receiver.url}/wire",
        rules=ChannelRules(**rules),
    )
    return SyndicateConfig(site=SiteConfig(title="Test"), channels=[channel])


def publish(
    runtime: Runtime, config: SyndicateConfig, event: str = "article.published", **fields: object
) -> None:
    data = article("r1", **fields)
    articles.receive(runtime.factory, parse_generic(envelope(data, event)), utcnow())
    with runtime.factory.begin() as session:
        posts.compose_posts(session, "r1", config, runtime.templates, utcnow())


def the_post(runtime: Runtime) -> Post | None:
    with runtime.factory() as session:
        return session.scalars(select(Post).where(Post.article_id == "r1")).one_or_none()


def excluded(runtime: Runtime) -> dict[str, str]:
    with runtime.factory() as session:
        return dict(session.get_one(Article, "r1").excluded_from)


def test_an_article_that_moves_out_of_the_channel_s_sections_and_back(
    runtime: Runtime, receiver: Receiver, clean: None
) -> None:
    config = desk(receiver, sections=["Politics"])
    publish(runtime, config, section="Sport")
    assert the_post(runtime) is None
    assert excluded(runtime) == {
        "wire": "the channel's rules.sections: the section 'Sport' is not one of Politics"
    }

    publish(
        runtime, config, "article.updated", section="Politics", updated_at="2026-11-24T12:00:00Z"
    )
    post = the_post(runtime)
    assert post is not None and post.status == PostStatus.PENDING_REVIEW
    assert excluded(runtime) == {}

    publish(runtime, config, "article.updated", section="Sport", updated_at="2026-11-24T13:00:00Z")
    post = the_post(runtime)
    assert post is not None and post.status == PostStatus.CANCELLED
    assert (
        post.problem
        == "excluded by the channel's rules.sections: the section 'Sport' is not one of Politics"
    )

    publish(
        runtime, config, "article.updated", section="Politics", updated_at="2026-11-24T14:00:00Z"
    )
    post = the_post(runtime)
    assert post is not None and post.status == PostStatus.PENDING_REVIEW and post.problem == ""


def test_breaking_news_skips_review_and_quiet_hours_hold_it(
    runtime: Runtime, receiver: Receiver, clean: None
) -> None:
    now = utcnow()
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=1)).strftime("%H:%M")
    config = desk(receiver, auto_approve_tags=["Breaking"], quiet_hours=f"{start}-{end}")
    publish(runtime, config, tags=["Breaking"])
    post = the_post(runtime)
    assert post is not None and post.status == PostStatus.APPROVED
    held = delivery.deliver(runtime.factory, post.id, config, DeliveryPolicy(), utcnow())
    assert held.status == "paced" and held.retry_in is not None
    assert 55 * 60 < held.retry_in <= 61 * 60  # until the quiet hours end
    assert receiver.received("/wire") == []


def test_a_daily_cap_holds_posts_until_the_channel_s_next_day(
    runtime: Runtime, receiver: Receiver, clean: None
) -> None:
    config = desk(receiver, max_per_day=1, timezone="Pacific/Auckland")
    publish(runtime, config, tags=["Budget"])
    first = the_post(runtime)
    assert first is not None
    with runtime.factory.begin() as session:
        session.get_one(Post, first.id).status = PostStatus.APPROVED
    assert (
        delivery.deliver(runtime.factory, first.id, config, DeliveryPolicy(), utcnow()).status
        == "sent"
    )

    second = article("r2", title="A second story")
    articles.receive(runtime.factory, parse_generic(envelope(second)), utcnow())
    with runtime.factory.begin() as session:
        posts.compose_posts(session, "r2", config, runtime.templates, utcnow())
        later = session.scalars(select(Post).where(Post.article_id == "r2")).one()
        later.status = PostStatus.APPROVED
        later_id = later.id
    held = delivery.deliver(runtime.factory, later_id, config, DeliveryPolicy(), utcnow())
    _, tomorrow = routing.day_of(config.channels[0].rules, utcnow())
    assert held.status == "paced" and held.retry_in is not None
    assert abs(held.retry_in - (tomorrow - utcnow()).total_seconds()) < 5
    with runtime.factory() as session:
        assert len(session.scalars(select(Delivery)).all()) == 1


def test_the_article_page_says_which_rule_kept_it_off_a_channel(
    runtime: Runtime, receiver: Receiver, client: Client, people: dict[Role, Person]
) -> None:
    publish(runtime, desk(receiver, tags_none=["Sponsored"]), tags=["Sponsored"])
    page = signed_in(client.base_url, "viewer-1").get("/review/articles/r1").text
    assert "Not posted to" in page
    assert "<strong>wire</strong>: the channel&#39;s rules.tags_none: tagged Sponsored" in page
