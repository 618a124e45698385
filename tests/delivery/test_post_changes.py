"""Edits and deletes of sent posts are rows of their own: recorded when they are decided,
claimed like a delivery, retried on the platform's wait, made once, and shown in the delivery
log. Against the mastodon_mock server, a Discord webhook and a plain webhook on loopback."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from syndicate import articles, channels, delivery, lifecycle, posts, signatures
from syndicate.cms import parse_generic
from syndicate.config import ChannelConfig, SiteConfig, SyndicateConfig
from syndicate.delivery import DeliveryPolicy
from syndicate.models import (
    Card,
    ChangeStatus,
    Delivery,
    Post,
    PostChange,
    PostStatus,
    utcnow,
)
from syndicate.runtime import Runtime
from tests.client import article, envelope
from tests.fakes.discord import FakeDiscord
from tests.fakes.images import photo_bytes
from tests.fakes.mastodon_mock import TOKEN, MastodonMock
from tests.fakes.receiver import Fault, Receiver

POLICY = DeliveryPolicy(max_attempts=3, lease_seconds=60)
EDITED_TITLE = "Zürich café reopens after the flood"


@pytest.fixture(scope="module")
def mastodon() -> Iterator[MastodonMock]:
    server = MastodonMock()
    yield server
    server.stop()


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    server = FakeDiscord()
    os.environ["TEST_DISCORD_HOOK"] = server.webhook_url
    yield server
    server.stop()


def site(channel: ChannelConfig) -> SyndicateConfig:
    follows = {"auto_approve": True, "edit_on_update": True, "delete_on_unpublish": True}
    return SyndicateConfig(
        site=SiteConfig(title="Test"), channels=[channel.model_copy(update=follows)]
    )


def toots(mastodon: MastodonMock, **options: Any) -> SyndicateConfig:
    os.environ["TEST_MASTODON_TOKEN"] = TOKEN
    return site(
        ChannelConfig(
            name="toots",
            platform="mastodon",
            url=mastodon.url,
            secret_env="TEST_MASTODON_TOKEN",
            timeout_seconds=2,
            **options,
        )
    )


def sent_post(runtime: Runtime, config: SyndicateConfig, article_id: str = "m1") -> Post:
    art = article(article_id, title="Zürich café reopens", language="de")
    articles.receive(runtime.factory, parse_generic(envelope(art)), utcnow())
    with runtime.factory.begin() as session:
        (post_id,) = posts.compose_posts(
            session, article_id, config, runtime.templates, utcnow()
        ).due
    assert delivery.deliver(runtime.factory, post_id, config, POLICY, utcnow()).status == "sent"
    return stored(runtime, post_id)


def update_article(runtime: Runtime, config: SyndicateConfig, article_id: str = "m1") -> list[int]:
    edited = article(article_id, title=EDITED_TITLE, language="de")
    articles.receive(runtime.factory, parse_generic(envelope(edited, "article.updated")), utcnow())
    return compose(runtime, config, article_id)


def unpublish(runtime: Runtime, config: SyndicateConfig, article_id: str = "m1") -> list[int]:
    gone = envelope({"id": article_id}, "article.unpublished")
    articles.receive(runtime.factory, parse_generic(gone), utcnow())
    return compose(runtime, config, article_id)


def compose(runtime: Runtime, config: SyndicateConfig, article_id: str) -> list[int]:
    with runtime.factory.begin() as session:
        work = posts.compose_posts(session, article_id, config, runtime.templates, utcnow())
    assert work.due == []
    return work.changes


def apply(
    runtime: Runtime,
    config: SyndicateConfig,
    change_id: int,
    later: float = 0,
    http: requests.Session | None = None,
) -> delivery.Outcome:
    now = utcnow() + timedelta(seconds=later)
    if http is None:
        return lifecycle.apply(runtime.factory, change_id, config, POLICY, now)
    return lifecycle.apply(runtime.factory, change_id, config, POLICY, now, lambda: http)


def stored(runtime: Runtime, post_id: int) -> Post:
    with runtime.factory() as session:
        return session.get_one(Post, post_id)


def change(runtime: Runtime, change_id: int) -> PostChange:
    with runtime.factory() as session:
        return session.get_one(PostChange, change_id)


def log(runtime: Runtime, post_id: int) -> list[tuple[str, str]]:
    with runtime.factory() as session:
        rows = session.scalars(
            select(Delivery).where(Delivery.post_id == post_id).order_by(Delivery.attempt)
        )
        return [(d.action, d.outcome) for d in rows]


def history(mastodon: MastodonMock, status_id: str | None) -> list[dict[str, Any]]:
    response = requests.get(
        f"{mastodon.url}/api/v1/statuses/{status_id}/history",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    )
    return list(response.json())


def test_an_update_edits_the_status_once_and_an_unpublish_deletes_it(
    runtime: Runtime, mastodon: MastodonMock, clean: None
) -> None:
    config = toots(mastodon)
    post = sent_post(runtime, config)

    (edit,) = update_article(runtime, config)
    assert change(runtime, edit).status == ChangeStatus.PENDING  # recorded before any call
    assert apply(runtime, config, edit).status == "edited"
    assert apply(runtime, config, edit).status == "skipped"  # a second message changes nothing
    assert EDITED_TITLE in mastodon.status(str(post.remote_id))["content"]
    assert len(history(mastodon, post.remote_id)) == 2  # the original and one edit

    (delete,) = unpublish(runtime, config)
    assert apply(runtime, config, delete).status == "deleted"
    assert mastodon.status(str(post.remote_id)) == {}
    assert stored(runtime, post.id).status == PostStatus.DELETED
    assert log(runtime, post.id) == [("send", "sent"), ("edit", "edited"), ("delete", "deleted")]
    assert change(runtime, delete).status == ChangeStatus.DONE
    assert unpublish(runtime, config) == []  # a deleted post is not deleted again


def test_an_edit_of_a_photo_status_keeps_its_image_and_description(
    runtime: Runtime, mastodon: MastodonMock, clean: None
) -> None:
    config = toots(mastodon, photo=True)
    art = article("m1", title="Zürich café reopens", language="de")
    articles.receive(runtime.factory, parse_generic(envelope(art)), utcnow())
    with runtime.factory.begin() as session:
        session.add(
            Card(
                article_id="m1",
                page_html="",
                meta_html="",
                etag="e",
                image=photo_bytes(1200, 630),
                image_type="image/jpeg",
            )
        )
    with runtime.factory.begin() as session:
        (post_id,) = posts.compose_posts(session, "m1", config, runtime.templates, utcnow()).due
    assert delivery.deliver(runtime.factory, post_id, config, POLICY, utcnow()).status == "sent"
    post = stored(runtime, post_id)
    (media,) = mastodon.status(str(post.remote_id))["media_attachments"]

    sent_bodies: list[dict[str, Any]] = []
    http = requests.Session()
    http.hooks["response"].append(
        lambda r, *a, **k: (
            sent_bodies.append(json.loads(r.request.body)) if r.request.method == "PUT" else None
        )
    )
    (edit,) = update_article(runtime, config)
    assert apply(runtime, config, edit, http=http).status == "edited"

    (body,) = sent_bodies
    assert body["media_ids"] == [media["id"]]
    assert body["media_attributes"] == [{"id": media["id"], "description": media["description"]}]
    assert media["description"] == "Zürich café reopens"


def test_an_edit_that_timed_out_is_made_again_and_once(
    runtime: Runtime, mastodon: MastodonMock, clean: None
) -> None:
    config = toots(mastodon)
    post = sent_post(runtime, config)
    (edit,) = update_article(runtime, config)
    mastodon.fault({"type": "latency", "delay_ms": 2500, "match": {"methods": ["PUT"]}})
    outcome = apply(runtime, config, edit)  # our timeout is 2 s
    assert outcome.status == "retry" and outcome.retry_in is not None
    assert change(runtime, edit).look_first
    time.sleep(1)  # past the server's delay: whatever it did with that request, it has done

    outcome = apply(runtime, config, edit, later=POLICY.backoff_cap_seconds)
    assert outcome.status == "edited"
    assert EDITED_TITLE in mastodon.status(str(post.remote_id))["content"]
    assert len(history(mastodon, post.remote_id)) == 2  # exactly one edit
    assert log(runtime, post.id) == [("send", "sent"), ("edit", "retry"), ("edit", "edited")]


def test_an_edit_made_whose_answer_was_lost_is_not_made_again(
    runtime: Runtime, discord: FakeDiscord, clean: None
) -> None:
    config = discord_site(timeout_seconds=1)
    post = sent_post(runtime, config)
    (edit,) = update_article(runtime, config)
    discord.answer_late_by = 3  # it edits the message, then answers after our timeout
    assert apply(runtime, config, edit).status == "retry"
    assert EDITED_TITLE in discord.messages[str(post.remote_id)]["content"]

    assert apply(runtime, config, edit, later=POLICY.backoff_cap_seconds).status == "edited"
    assert len(discord.calls("PATCH")) == 1
    with runtime.factory() as session:
        last = session.scalars(
            select(Delivery).where(Delivery.post_id == post.id).order_by(Delivery.attempt.desc())
        ).first()
    assert last is not None and last.error == "an earlier attempt had made it"


def test_a_platform_that_asks_to_wait_is_tried_again_after_its_wait(
    runtime: Runtime, discord: FakeDiscord, clean: None
) -> None:
    config = discord_site()
    post = sent_post(runtime, config)
    (edit,) = update_article(runtime, config)
    discord.receiver.fail_next(
        Fault(status=429, body=b'{"message": "You are being rate limited.", "retry_after": 7.5}')
    )
    before = utcnow()
    outcome = apply(runtime, config, edit)
    assert (outcome.status, outcome.retry_in) == ("retry", 7.5)
    waiting = change(runtime, edit)
    assert waiting.status == ChangeStatus.PENDING and waiting.next_attempt_at is not None
    assert waiting.next_attempt_at >= before + timedelta(seconds=7.5)
    assert apply(runtime, config, edit).status == "skipped"  # not before its time
    assert apply(runtime, config, edit, later=8).status == "edited"
    assert stored(runtime, post.id).problem == ""


def discord_site(**options: Any) -> SyndicateConfig:
    return site(
        ChannelConfig(name="chat", platform="discord", secret_env="TEST_DISCORD_HOOK", **options)
    )


def test_discord_keeps_the_message_id_and_edits_and_deletes_that_message(
    runtime: Runtime, discord: FakeDiscord, clean: None
) -> None:
    config = discord_site()
    post = sent_post(runtime, config)
    (sent,) = discord.calls("POST")
    assert "wait=true" in sent.path
    assert post.remote_id in discord.messages

    (edit,) = update_article(runtime, config)
    assert apply(runtime, config, edit).status == "edited"
    (patch,) = discord.calls("PATCH")
    assert patch.path == f"/api/webhooks/1234/hook-token/messages/{post.remote_id}"
    assert EDITED_TITLE in discord.messages[str(post.remote_id)]["content"]
    assert patch.json()["allowed_mentions"] == {"parse": []}

    (delete,) = unpublish(runtime, config)
    assert apply(runtime, config, delete).status == "deleted"
    (removal,) = discord.calls("DELETE")
    assert removal.path == patch.path
    assert discord.messages == {}


def test_a_webhook_receiver_hears_of_the_update_and_the_deletion_signed(
    runtime: Runtime, receiver: Receiver, clean: None
) -> None:
    os.environ["TEST_WIRE_SECRET"] = "wire-secret-" + "x" * 20
    config = site(
        ChannelConfig(
            name="wire",
            platform="webhook",
            url=f"{receiver.url}/wire",
            secret_env="TEST_WIRE_SECRET",
        )
    )
    post = sent_post(runtime, config)
    (edit,) = update_article(runtime, config)
    assert apply(runtime, config, edit).status == "edited"
    (delete,) = unpublish(runtime, config)
    assert apply(runtime, config, delete).status == "deleted"

    created, updated, deleted = receiver.received("/wire")
    for request in (created, updated, deleted):
        signatures.verify(
            request.headers["syndicate-signature"], request.body, [b"wire-secret-" + b"x" * 20]
        )
        assert request.headers["idempotency-key"] == request.json()["idempotency_key"]
    events = [r.json() for r in (created, updated, deleted)]
    assert [e["event"] for e in events] == ["post.created", "post.updated", "post.deleted"]
    assert {e["id"] for e in events} == {created.json()["idempotency_key"]}
    assert len({e["idempotency_key"] for e in events}) == 3
    assert EDITED_TITLE in events[1]["text"] and events[2]["article"]["id"] == "m1"
    assert stored(runtime, post.id).status == PostStatus.DELETED


def test_an_unpublish_replaces_an_edit_not_yet_made(
    runtime: Runtime, discord: FakeDiscord, clean: None
) -> None:
    config = discord_site()
    post = sent_post(runtime, config)
    (edit,) = update_article(runtime, config)
    (delete,) = unpublish(runtime, config)
    assert change(runtime, edit).status == ChangeStatus.SUPERSEDED
    assert apply(runtime, config, edit).status == "skipped"
    assert apply(runtime, config, delete).status == "deleted"
    assert discord.calls("PATCH") == []
    assert log(runtime, post.id) == [("send", "sent"), ("delete", "deleted")]


def test_a_post_already_gone_from_the_platform_counts_as_deleted(
    runtime: Runtime, discord: FakeDiscord, clean: None
) -> None:
    config = discord_site()
    post = sent_post(runtime, config)
    discord.messages.clear()  # someone deleted it by hand
    (delete,) = unpublish(runtime, config)
    assert apply(runtime, config, delete).status == "deleted"
    assert stored(runtime, post.id).status == PostStatus.DELETED


def test_a_paused_channel_holds_its_changes_until_it_resumes(
    runtime: Runtime, discord: FakeDiscord, clean: None
) -> None:
    config = discord_site()
    sent_post(runtime, config)
    (edit,) = update_article(runtime, config)
    with runtime.factory.begin() as session:
        channels.pause(session, "chat", "a quiet hour", utcnow())
    assert apply(runtime, config, edit).status == "paused"
    assert discord.calls("PATCH") == []
    with runtime.factory() as session:
        assert lifecycle.due_changes(session, utcnow()) == [edit]
    with runtime.factory.begin() as session:
        channels.resume(session, "chat", utcnow())
    assert apply(runtime, config, edit).status == "edited"


def test_a_change_left_working_by_a_dead_worker_is_made_again_after_its_lease(
    runtime: Runtime, discord: FakeDiscord, clean: None
) -> None:
    config = discord_site()
    post = sent_post(runtime, config)
    (edit,) = update_article(runtime, config)
    with runtime.factory.begin() as session:
        claimed = session.get_one(PostChange, edit)
        claimed.status, claimed.claimed_at = ChangeStatus.WORKING, utcnow() - timedelta(minutes=2)
        session.add(Delivery(post_id=post.id, attempt=2, action="edit", change_id=edit))
    with runtime.factory.begin() as session:
        assert lifecycle.reconcile_stuck(session, utcnow(), lease_seconds=300) == []
        assert lifecycle.reconcile_stuck(session, utcnow(), lease_seconds=60) == [edit]
    assert change(runtime, edit).look_first
    assert apply(runtime, config, edit).status == "edited"
    assert log(runtime, post.id) == [("send", "sent"), ("edit", "retry"), ("edit", "edited")]
    assert len(discord.calls("PATCH")) == 1


def test_a_refused_edit_fails_with_the_platform_s_reason(
    runtime: Runtime, discord: FakeDiscord, clean: None
) -> None:
    config = discord_site()
    post = sent_post(runtime, config)
    (edit,) = update_article(runtime, config)
    discord.receiver.fail_next(Fault(status=400, body=b'{"message": "Invalid Form Body"}'))
    assert apply(runtime, config, edit).status == ChangeStatus.FAILED
    assert change(runtime, edit).status == ChangeStatus.FAILED
    assert "the edit did not reach the platform" in stored(runtime, post.id).problem
    assert stored(runtime, post.id).status == PostStatus.SENT


def test_the_first_reply_goes_under_the_live_post_once(
    runtime: Runtime, mastodon: MastodonMock, clean: None
) -> None:
    config = toots(mastodon, first_reply="posts/mastodon/first_reply.txt.j2")
    art = article("reply-1", title="Night trains return")
    articles.receive(runtime.factory, parse_generic(envelope(art)), utcnow())
    with runtime.factory.begin() as session:
        (post_id,) = posts.compose_posts(
            session, "reply-1", config, runtime.templates, utcnow()
        ).due
    before = mastodon.count_statuses()
    sent_outcome = delivery.deliver(runtime.factory, post_id, config, POLICY, utcnow())
    assert sent_outcome.status == "sent"
    (reply_id,) = sent_outcome.changes
    assert change(runtime, reply_id).kind == "reply"

    assert apply(runtime, config, reply_id).status == "replied"
    assert apply(runtime, config, reply_id).status == "skipped"  # made: not again
    post = stored(runtime, post_id)
    assert mastodon.count_statuses() == before + 2
    with runtime.factory() as session:
        made = session.scalars(select(Delivery).where(Delivery.change_id == reply_id)).one()
    reply = mastodon.status(str(made.remote_id))
    assert reply["in_reply_to_id"] == post.remote_id
    assert art["url"] in reply["content"]
    assert log(runtime, post_id) == [("send", "sent"), ("reply", "replied")]


def test_a_first_reply_is_refused_where_the_platform_takes_none() -> None:
    with pytest.raises(ValueError, match="first_reply: telegram replies are not supported"):
        ChannelConfig(name="tg", platform="telegram", first_reply="posts/x.txt.j2")


def test_a_thread_goes_out_in_order_once_even_when_a_worker_dies_between_parts(
    runtime: Runtime, mastodon: MastodonMock, clean: None
) -> None:
    config = toots(
        mastodon, thread="auto", first_reply="posts/mastodon/first_reply.txt.j2", max_length=400
    )
    summary = " ".join(f"Step {n} of the timetable changes on the night line." for n in range(24))
    art = article("thread-1", title="Night trains return", summary=summary, language="de")
    articles.receive(runtime.factory, parse_generic(envelope(art)), utcnow())
    with runtime.factory.begin() as session:
        (post_id,) = posts.compose_posts(
            session, "thread-1", config, runtime.templates, utcnow()
        ).due
    thread = stored(runtime, post_id).extras["thread"]
    assert len(thread) >= 2
    before = mastodon.count_statuses()
    sending = delivery.deliver(runtime.factory, post_id, config, POLICY, utcnow())
    assert sending.status == "sent", stored(runtime, post_id).problem
    (first_reply_change,) = sending.changes
    assert apply(runtime, config, first_reply_change).status == "replied"

    with runtime.factory() as session:
        pending = session.scalars(
            select(PostChange)
            .where(PostChange.post_id == post_id, PostChange.status == "pending")
            .order_by(PostChange.position)
        ).all()
        second_id = pending[0].id
    # Part 3 waits for part 2.
    assert apply(runtime, config, pending[1].id).status == "waiting"
    # A worker makes part 2 and dies before recording it: the change is left working.
    outcome = apply(runtime, config, second_id)
    assert outcome.status == "replied"
    with runtime.factory.begin() as session:
        lost = session.get_one(PostChange, second_id)
        lost.status, lost.claimed_at = "working", utcnow() - timedelta(hours=1)
    with runtime.factory.begin() as session:
        assert lifecycle.reconcile_stuck(session, utcnow(), lease_seconds=300) == [second_id]
    following = apply(runtime, config, second_id)  # made again under its key: not twice
    while following.changes:
        (next_id,) = following.changes
        following = apply(runtime, config, next_id)
        assert following.status == "replied"

    statuses = 1 + len(thread) + 1  # the post, each part, the first reply
    assert mastodon.count_statuses() == before + statuses
    with runtime.factory() as session:
        made = session.scalars(
            select(Delivery)
            .where(Delivery.post_id == post_id, Delivery.outcome.in_(["sent", "replied"]))
            .order_by(Delivery.id)
        ).all()
    ids = [d.remote_id for d in made]
    chain = [mastodon.status(str(i)) for i in dict.fromkeys(ids)]
    assert [s.get("in_reply_to_id") for s in chain] == [None, *[c["id"] for c in chain[:-1]]]
    assert "2/" in chain[1]["content"] and art["url"] in chain[-1]["content"]
