"""Store what a CMS tells us: publish, revise and unpublish articles, idempotently per delivery.

Deliveries are applied in batches: everything waiting is stored in one transaction with a
handful of statements, whatever the batch's size, and with the outcome each delivery would have
had on its own, in the order given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from syndicate.cms import ArticleEvent, ArticleIn, ArticleRef
from syndicate.db import update_many_by_key
from syndicate.models import (
    UNSENT_STATUSES,
    Article,
    ArticleRevision,
    ArticleStatus,
    InboundDelivery,
    Post,
    PostStatus,
)

# What a delivery needs to know of the article it changes, and what it may change.
_STATE = (
    Article.id,
    Article.status,
    Article.revision,
    Article.content_hash,
    Article.version,
    Article.source_updated_at,
    Article.source_unpublished_at,
    Article.not_before,
)
_CONTENT = (Article.url, Article.content_html)
# SQLSTATEs that mean another transaction got in the way: worth trying again.
_CONTENTION = {"40001", "40P01", "55P03"}
ATTEMPTS = 5
ARTICLES: Table = Article.__table__  # type: ignore[assignment]
REVISIONS: Table = ArticleRevision.__table__  # type: ignore[assignment]
DELIVERIES: Table = InboundDelivery.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Receipt:
    """What to answer the CMS, and whether the pipeline has new work for the article."""

    status_code: int
    body: dict[str, Any]
    changed: bool


def receive(factory: sessionmaker[Session], event: ArticleEvent, now: datetime) -> Receipt:
    """Apply one webhook delivery in its own transaction; safe under concurrent repeats."""
    return receive_batch(factory, [event], now)[0]


def receive_batch(
    factory: sessionmaker[Session], events: Sequence[ArticleEvent], now: datetime
) -> list[Receipt]:
    """Apply deliveries in one transaction, in order; safe under concurrent repeats."""
    for attempt in range(ATTEMPTS):
        try:
            with factory.begin() as session:
                return _receive(session, events, now)
        except (IntegrityError, OperationalError) as exc:
            # A concurrent delivery for the same article or delivery id won the race; the
            # next pass sees what it committed.
            if attempt == ATTEMPTS - 1 or not _contention(exc):
                raise
    raise AssertionError("unreachable")


def _contention(exc: IntegrityError | OperationalError) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in _CONTENTION or "database is locked" in str(exc.orig)


class _Batch:
    """The articles a batch touches, locked, and the rows it will write."""

    def __init__(self, session: Session, events: Sequence[ArticleEvent], now: datetime) -> None:
        self.now = now
        # Locked in id order, so two batches sharing articles wait rather than deadlock.
        locked = session.execute(
            select(*_STATE, *_CONTENT)
            .where(Article.id.in_(sorted({e.article.id for e in events})))
            .order_by(Article.id)
            .with_for_update()
        )
        self.articles: dict[str, dict[str, Any]] = {r.id: dict(r._mapping) for r in locked}
        # Articles seen for the first time are inserted whole when the batch is written. A
        # concurrent batch inserting the same one makes this transaction fail on the primary
        # key, and its next attempt finds the row and locks it.
        self.new = {
            e.article.id
            for e in events
            if isinstance(e.article, ArticleIn) and e.article.id not in self.articles
        }
        for article_id in self.new:
            self.articles[article_id] = {
                "id": article_id,
                "status": ArticleStatus.PUBLISHED,
                "revision": 0,
                "content_hash": "",
                "version": 0,
                "source_updated_at": None,
                "source_unpublished_at": None,
                "not_before": None,
                "url": "",
                "content_html": "",
            }
        answered = session.execute(
            select(InboundDelivery.delivery_id, InboundDelivery.response).where(
                InboundDelivery.delivery_id.in_({e.delivery_id for e in events})
            )
        )
        self.answers: dict[str, dict[str, Any]] = {d: r for d, r in answered}
        self.revisions: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.changed: set[str] = set()
        self.unpublished: set[str] = set()
        self.embargoes_moved: dict[str, datetime] = {}  # article id: the embargo it had

    def apply(self, event: ArticleEvent) -> Receipt:
        earlier = self.answers.get(event.delivery_id)
        if earlier is not None:
            return Receipt(200, earlier, changed=False)
        article = self.articles.get(event.article.id)
        if isinstance(event.article, ArticleIn):
            assert article is not None  # inserted above if it was missing
            if superseded(article, event.article):
                status, changed = "stale", False
            else:
                status, changed = self._publish(article, event.article)
        elif article is not None and superseded(article, event.article):
            status, changed = "stale", False
        else:
            status, changed = self._unpublish(article, event.article)
        body = {
            "article_id": event.article.id,
            "revision": article["revision"] if article is not None else None,
            "status": status,
        }
        self.answers[event.delivery_id] = body
        self.deliveries.append(
            {
                "delivery_id": event.delivery_id,
                "event": event.event,
                "article_id": event.article.id,
                "response": body,
                "received_at": self.now,
            }
        )
        return Receipt(202, body, changed)

    def _publish(self, article: dict[str, Any], data: ArticleIn) -> tuple[str, bool]:
        content_hash = data.content_hash()
        was_live = article["revision"] > 0 and article["status"] == ArticleStatus.PUBLISHED
        if was_live and article["content_hash"] == content_hash:
            return "unchanged", False
        if article["content_hash"] != content_hash:
            article["revision"] += 1
            self.revisions.append(
                {
                    "article_id": article["id"],
                    "number": article["revision"],
                    "content_hash": content_hash,
                    "data": data.model_dump(mode="json"),
                    "created_at": self.now,
                }
            )
        stale_html = article["content_html"] != data.content_html or article["url"] != data.url
        embargo = article["not_before"]
        if embargo is not None and embargo != data.syndication.not_before:
            self.embargoes_moved.setdefault(article["id"], embargo)
        article.update(article_fields(data, content_hash))
        if stale_html:
            article["feed_html"] = None  # made safe again by the next feed rebuild
        article.update(status=ArticleStatus.PUBLISHED, version=article["version"] + 1)
        article.update(source_updated_at=data.version_time(), source_unpublished_at=None)
        self.changed.add(article["id"])
        return ("updated" if was_live else "published"), True

    def _unpublish(self, article: dict[str, Any] | None, ref: ArticleRef) -> tuple[str, bool]:
        if article is None or article["revision"] == 0:
            return "not_found", False
        if ref.updated_at is not None:
            article["source_unpublished_at"] = ref.updated_at
            self.changed.add(article["id"])  # the time is stored even if it was already down
        if article["status"] == ArticleStatus.UNPUBLISHED:
            return "unpublished", False
        article.update(status=ArticleStatus.UNPUBLISHED, version=article["version"] + 1)
        self.changed.add(article["id"])
        self.unpublished.add(article["id"])
        return "unpublished", True

    def write(self, session: Session) -> None:
        inserted = sorted(self.new & self.changed)
        if inserted:
            session.execute(
                insert(ARTICLES),
                [
                    {
                        **self.articles[article_id],
                        "feed_html": None,
                        "created_at": self.now,
                        "changed_at": self.now,
                    }
                    for article_id in inserted
                ],
            )
        if self.revisions:
            session.execute(insert(REVISIONS), self.revisions)
        if self.deliveries:
            session.execute(insert(DELIVERIES), self.deliveries)
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for article_id in sorted(self.changed - self.new):
            values = {**self.articles[article_id], "changed_at": self.now}
            by_columns.setdefault(tuple(sorted(values)), []).append(values)
        for rows in by_columns.values():
            update_many_by_key(session, ARTICLES, rows)  # one statement for each shape
        for article_id in sorted(self.unpublished):
            cancel_unsent_posts(session, article_id, self.now)
        for article_id, embargo in sorted(self.embargoes_moved.items()):
            # Posts waiting for the old embargo are due again; delivery holds them anew if
            # the new one is still ahead.
            session.execute(
                update(Post)
                .where(Post.article_id == article_id, Post.next_attempt_at == embargo)
                .values(next_attempt_at=None)
            )


def superseded(article: dict[str, Any], data: ArticleIn | ArticleRef) -> bool:
    """Whether the article already holds a newer version, by the CMS's own times, than `data`:
    a delivery that arrives late, or is replayed, never overwrites it. An unpublish and a
    publish at the same moment: the unpublish wins."""
    newest, taken_down = article["source_updated_at"], article["source_unpublished_at"]
    if isinstance(data, ArticleRef):
        return data.updated_at is not None and newest is not None and data.updated_at < newest
    moment = data.version_time()
    return (newest is not None and moment < newest) or (
        taken_down is not None and moment <= taken_down
    )


def _receive(session: Session, events: Sequence[ArticleEvent], now: datetime) -> list[Receipt]:
    batch = _Batch(session, events, now)
    receipts = [batch.apply(event) for event in events]
    batch.write(session)
    return receipts


def article_fields(data: ArticleIn, content_hash: str) -> dict[str, Any]:
    """The columns an article takes from what the CMS sent."""
    return {
        "content_hash": content_hash,
        "url": data.url,
        "title": data.title,
        "summary": data.summary,
        "content_html": data.content_html,
        "authors": [a.model_dump(mode="json") for a in data.authors],
        "tags": list(data.tags),
        "section": data.section,
        "image_url": data.image.url if data.image else None,
        "image_alt": data.image.alt if data.image else "",
        "language": data.language,
        "published_at": data.published_at,
        "updated_at": data.updated_at,
        "syndication": data.syndication.model_dump(mode="json", exclude_defaults=True),
        "not_before": data.syndication.not_before,
    }


def transient_article(data: ArticleIn) -> Article:
    """An unsaved article, for previews of an article the CMS has not sent yet."""
    return Article(
        id=data.id,
        status=ArticleStatus.PUBLISHED,
        revision=0,
        version=0,
        **article_fields(data, data.content_hash()),
    )


def cancel_unsent_posts(session: Session, article_id: str, now: datetime) -> int:
    result = session.execute(
        update(Post)
        .where(Post.article_id == article_id, Post.status.in_(UNSENT_STATUSES))
        .values(status=PostStatus.CANCELLED, updated_at=now, problem="article unpublished")
    )
    return int(getattr(result, "rowcount", 0) or 0)
