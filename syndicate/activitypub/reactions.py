"""What the fediverse made of an article, as the review app and the API show it: how many
likes and boosts, the replies, and how its deliveries went."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndicate.models import ApDelivery, ApReaction

SHOWN_REPLIES = 50


@dataclass(frozen=True)
class Reply:
    actor: str
    text: str
    url: str


@dataclass(frozen=True)
class Reactions:
    likes: int
    announces: int
    replies: list[Reply]
    reply_count: int


def of_article(session: Session, article_id: str) -> Reactions:
    counts = dict(
        session.execute(
            select(ApReaction.kind, func.count())
            .where(ApReaction.article_id == article_id)
            .group_by(ApReaction.kind)
        ).all()
    )
    replies = session.scalars(
        select(ApReaction)
        .where(ApReaction.article_id == article_id, ApReaction.kind == "reply")
        .order_by(ApReaction.created_at)
        .limit(SHOWN_REPLIES)
    )
    return Reactions(
        likes=int(counts.get("like", 0)),
        announces=int(counts.get("announce", 0)),
        replies=[Reply(r.actor, r.text, r.url) for r in replies],
        reply_count=int(counts.get("reply", 0)),
    )


def deliveries_of(session: Session, article_id: str) -> dict[str, int]:
    """How the activities about one article went, by status (sent, pending, failed)."""
    rows = session.execute(
        select(ApDelivery.status, func.count())
        .where(ApDelivery.article_id == article_id)
        .group_by(ApDelivery.status)
    ).all()
    return {status: int(count) for status, count in rows}
