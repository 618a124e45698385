"""Deliveries stored together in one batch end exactly as they would one at a time."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from syndicate import articles
from syndicate.cms import ArticleEvent, parse_generic
from syndicate.models import Article, ArticleRevision, InboundDelivery, Post, PostStatus, utcnow
from syndicate.runtime import Runtime
from tests.client import article, envelope

pytestmark = pytest.mark.usefixtures("clean")


def events() -> list[ArticleEvent]:
    first = article("batch-a")
    edited = article("batch-a", title="Council approves the crossing, 7 to 2")
    return [
        parse_generic(x)
        for x in [
            envelope(first, delivery_id="d-1"),
            envelope(first, delivery_id="d-1"),  # the CMS sent it twice
            envelope(first, delivery_id="d-2"),  # the same article again: unchanged
            envelope(article("batch-b"), delivery_id="d-3"),
            envelope(edited, "article.updated", delivery_id="d-4"),
            envelope({"id": "batch-b"}, "article.unpublished", delivery_id="d-5"),
            envelope({"id": "batch-b"}, "article.unpublished", delivery_id="d-6"),
            envelope({"id": "never-sent"}, "article.unpublished", delivery_id="d-7"),
            envelope(article("batch-b"), delivery_id="d-8"),  # back, as it was
            envelope(first, "article.updated", delivery_id="d-9"),  # the edit undone
        ]
    ]


def stored(runtime: Runtime) -> dict[str, Any]:
    with runtime.factory() as session:
        return {
            "articles": [
                (a.id, a.status, a.revision, a.version, a.title, a.content_hash)
                for a in session.scalars(select(Article).order_by(Article.id))
            ],
            "revisions": [
                (r.article_id, r.number, r.content_hash)
                for r in session.scalars(select(ArticleRevision).order_by(ArticleRevision.id))
            ],
            "deliveries": [
                (d.delivery_id, d.event, d.response)
                for d in session.scalars(
                    select(InboundDelivery).order_by(InboundDelivery.delivery_id)
                )
            ],
        }


def answers(receipts: list[articles.Receipt]) -> list[tuple[int, dict[str, Any], bool]]:
    return [(r.status_code, r.body, r.changed) for r in receipts]


def test_a_batch_answers_and_stores_what_one_delivery_at_a_time_would(runtime: Runtime) -> None:
    now = utcnow()
    one_by_one = [articles.receive(runtime.factory, event, now) for event in events()]
    expected = stored(runtime)
    with runtime.engine.begin() as conn:
        for table in ("inbound_deliveries", "article_revisions", "articles"):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    batched = articles.receive_batch(runtime.factory, events(), now)
    assert answers(batched) == answers(one_by_one)
    assert stored(runtime) == expected
    statuses = [(r.status_code, r.body["status"]) for r in batched]
    assert statuses == [
        (202, "published"),
        (200, "published"),
        (202, "unchanged"),
        (202, "published"),
        (202, "updated"),
        (202, "unpublished"),
        (202, "unpublished"),
        (202, "not_found"),
        (202, "published"),
        (202, "updated"),
    ]
    assert [r.body["revision"] for r in batched] == [1, 1, 1, 1, 2, 1, 1, None, 1, 3]


def test_a_batch_that_unpublishes_an_article_cancels_its_unsent_posts(runtime: Runtime) -> None:
    now = utcnow()
    articles.receive(runtime.factory, parse_generic(envelope(article("batch-c"))), now)
    with runtime.factory.begin() as session:
        session.add(
            Post(
                article_id="batch-c",
                channel="hook",
                platform="webhook",
                revision=1,
                template="posts/webhook/post.txt.j2",
                text="Council approves",
                status=PostStatus.PENDING_REVIEW,
            )
        )
    gone = parse_generic(envelope({"id": "batch-c"}, "article.unpublished"))
    other = parse_generic(envelope(article("batch-d")))
    receipts = articles.receive_batch(runtime.factory, [other, gone], now)
    assert [r.body["status"] for r in receipts] == ["published", "unpublished"]
    with runtime.factory() as session:
        (post,) = session.scalars(select(Post))
        assert post.status == PostStatus.CANCELLED and post.problem == "article unpublished"


def test_batches_racing_to_store_the_same_new_article_store_it_once(runtime: Runtime) -> None:
    """Two web processes' writers may both see an article for the first time; the one that
    loses the race on the primary key tries again and finds the other's row."""
    ids = [f"race-{n}" for n in range(20)]
    start = threading.Barrier(2, timeout=10)
    receipts: dict[str, list[articles.Receipt]] = {"a": [], "b": []}
    failures: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for article_id in ids:
                delivery = f"{name}-{article_id}"
                event = parse_generic(envelope(article(article_id), delivery_id=delivery))
                start.wait()
                receipts[name] += articles.receive_batch(runtime.factory, [event], utcnow())
        except BaseException as exc:
            failures.append(exc)
            start.abort()

    threads = [threading.Thread(target=writer, args=(name,)) for name in receipts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not [f for f in failures if not isinstance(f, threading.BrokenBarrierError)]
    for n in range(len(ids)):
        statuses = sorted(receipts[name][n].body["status"] for name in receipts)
        assert statuses == ["published", "unchanged"]
    content = stored(runtime)
    assert sorted(a[0] for a in content["articles"]) == sorted(ids)
    assert all(a[2] == 1 and a[3] == 1 for a in content["articles"])  # one revision, version
    assert len(content["revisions"]) == len(ids)
    assert len(content["deliveries"]) == 2 * len(ids)
