"""Concurrent deliveries of one article make one revision and one post per channel."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from syndicate.models import ArticleRevision, InboundDelivery, Post
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.servers import wait_until

pytestmark = pytest.mark.usefixtures("worker")


def counts(runtime: Runtime, article_id: str) -> tuple[int, int]:
    with runtime.factory() as session:
        revisions = session.scalar(
            select(func.count()).where(ArticleRevision.article_id == article_id)
        )
        posts = session.scalar(select(func.count()).where(Post.article_id == article_id))
    return int(revisions or 0), int(posts or 0)


def send_concurrently(client: Client, payloads: list[dict[str, object]]) -> list[int]:
    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return [r.status_code for r in pool.map(client.send, payloads)]


def test_ten_identical_deliveries_at_once_make_one_revision_and_one_post_per_channel(
    client: Client, runtime: Runtime
) -> None:
    payload = envelope(article("stampede"), delivery_id="stampede-delivery")
    statuses = send_concurrently(client, [payload] * 10)
    assert sorted(statuses) == [200] * 9 + [202]
    wait_until(lambda: counts(runtime, "stampede")[1] == 2)
    assert counts(runtime, "stampede") == (1, 2)
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(InboundDelivery)) == 1


def test_ten_deliveries_of_the_same_content_at_once_make_one_revision(
    client: Client, runtime: Runtime
) -> None:
    art = article("same-ten")
    statuses = send_concurrently(client, [envelope(art) for _ in range(10)])
    assert statuses == [202] * 10
    wait_until(lambda: counts(runtime, "same-ten")[1] == 2)
    assert counts(runtime, "same-ten") == (1, 2)
    with runtime.factory() as session:
        answers = session.scalars(select(InboundDelivery.response)).all()
    assert sorted(a["status"] for a in answers) == ["published"] + ["unchanged"] * 9
