"""Find work the broker may have lost, from the database alone."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from syndicate.models import Article


def stale_articles(
    session: Session, now: datetime, grace_seconds: float, limit: int = 200
) -> list[str]:
    """Articles changed a while ago whose feeds, card or posts never caught up, and that no
    sweep has sent on again within the grace: a backlog longer than the grace is dispatched
    once per grace, not once per sweep."""
    cutoff = now - timedelta(seconds=grace_seconds)
    found = list(
        session.scalars(
            select(Article.id)
            .where(
                Article.changed_at < cutoff,
                or_(Article.swept_at.is_(None), Article.swept_at < cutoff),
                or_(
                    Article.feeds_version < Article.version,
                    Article.card_version < Article.version,
                    Article.posts_version < Article.version,
                ),
            )
            .order_by(Article.changed_at)
            .limit(limit)
        )
    )
    if found:
        session.execute(update(Article).where(Article.id.in_(found)).values(swept_at=now))
    return found
