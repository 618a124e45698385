"""Store what a CMS tells us: publish, revise and unpublish articles, idempotently per delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from syndicate.cms import ArticleEvent, ArticleIn
from syndicate.db import insert_ignoring_conflicts
from syndicate.models import (
    UNSENT_STATUSES,
    Article,
    ArticleRevision,
    ArticleStatus,
    InboundDelivery,
    Post,
    PostStatus,
)


@dataclass(frozen=True)
class Receipt:
    """What to answer the CMS, and whether the pipeline has new work for the article."""

    status_code: int
    body: dict[str, Any]
    changed: bool


def receive(factory: sessionmaker[Session], event: ArticleEvent, now: datetime) -> Receipt:
    """Apply one webhook delivery in its own transaction; safe under concurrent repeats."""
    for attempt in range(5):
        try:
            with factory.begin() as session:
                return _receive(session, event, now)
        except (IntegrityError, OperationalError):
            # A concurrent delivery for the same article or delivery id won the race;
            # the next pass sees what it committed.
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _receive(session: Session, event: ArticleEvent, now: datetime) -> Receipt:
    earlier = session.get(InboundDelivery, event.delivery_id)
    if earlier is not None:
        return Receipt(200, earlier.response, changed=False)
    article_id = event.article.id
    if isinstance(event.article, ArticleIn):
        _insert_if_missing(session, article_id, now)
    article = session.scalars(
        select(Article).where(Article.id == article_id).with_for_update()
    ).one_or_none()
    # The lock serialises deliveries for one article: look again for a twin that just committed.
    earlier = session.get(InboundDelivery, event.delivery_id, populate_existing=True)
    if earlier is not None:
        return Receipt(200, earlier.response, changed=False)
    if isinstance(event.article, ArticleIn):
        assert article is not None
        status, changed = _publish(session, article, event.article, now)
    else:
        status, changed = _unpublish(session, article, now)
    body = {
        "article_id": article_id,
        "revision": article.revision if article is not None else None,
        "status": status,
    }
    session.add(
        InboundDelivery(
            delivery_id=event.delivery_id,
            event=event.event,
            article_id=article_id,
            response=body,
            received_at=now,
        )
    )
    session.flush()
    return Receipt(202, body, changed)


def _insert_if_missing(session: Session, article_id: str, now: datetime) -> None:
    row = {"id": article_id, "created_at": now, "changed_at": now, "published_at": now}
    insert_ignoring_conflicts(session, Article, [row])


def _publish(
    session: Session, article: Article, data: ArticleIn, now: datetime
) -> tuple[str, bool]:
    content_hash = data.content_hash()
    was_live = article.revision > 0 and article.status == ArticleStatus.PUBLISHED
    if was_live and article.content_hash == content_hash:
        return "unchanged", False
    if article.content_hash != content_hash:
        article.revision += 1
        session.add(
            ArticleRevision(
                article_id=article.id,
                number=article.revision,
                content_hash=content_hash,
                data=data.model_dump(mode="json"),
                created_at=now,
            )
        )
    _copy_fields(article, data, content_hash)
    article.status = ArticleStatus.PUBLISHED
    article.version += 1
    article.changed_at = now
    return ("updated" if was_live else "published"), True


def transient_article(data: ArticleIn) -> Article:
    """An unsaved article, for previews of an article the CMS has not sent yet."""
    article = Article(id=data.id, status=ArticleStatus.PUBLISHED, revision=0, version=0)
    _copy_fields(article, data, data.content_hash())
    return article


def _copy_fields(article: Article, data: ArticleIn, content_hash: str) -> None:
    article.content_hash = content_hash
    article.url = data.url
    article.title = data.title
    article.summary = data.summary
    if article.content_html != data.content_html or article.url != data.url:
        article.feed_html = None  # made safe again by the next feed rebuild
    article.content_html = data.content_html
    article.authors = [a.model_dump(mode="json") for a in data.authors]
    article.tags = list(data.tags)
    article.section = data.section
    article.image_url = data.image.url if data.image else None
    article.image_alt = data.image.alt if data.image else ""
    article.language = data.language
    article.published_at = data.published_at
    article.updated_at = data.updated_at


def _unpublish(session: Session, article: Article | None, now: datetime) -> tuple[str, bool]:
    if article is None or article.revision == 0:
        return "not_found", False
    if article.status == ArticleStatus.UNPUBLISHED:
        return "unpublished", False
    article.status = ArticleStatus.UNPUBLISHED
    article.version += 1
    article.changed_at = now
    cancel_unsent_posts(session, article.id, now)
    return "unpublished", True


def cancel_unsent_posts(session: Session, article_id: str, now: datetime) -> int:
    result = session.execute(
        update(Post)
        .where(Post.article_id == article_id, Post.status.in_(UNSENT_STATUSES))
        .values(status=PostStatus.CANCELLED, updated_at=now, problem="article unpublished")
    )
    return int(getattr(result, "rowcount", 0) or 0)
