"""Per-article, per-button share counters. A click adds one; who clicked is never recorded."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from syndicate.models import ShareCount


def count_click(session: Session, article_id: str, button: str) -> None:
    """Add one to the counter in a single statement, so concurrent clicks are never lost."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ShareCount).values(article_id=article_id, button=button, count=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[ShareCount.article_id, ShareCount.button],
            set_={"count": ShareCount.count + 1},
        )
    )


def share_counts(session: Session, article_id: str) -> dict[str, int]:
    rows = session.execute(
        select(ShareCount.button, ShareCount.count)
        .where(ShareCount.article_id == article_id)
        .order_by(ShareCount.button)
    )
    return {button: count for button, count in rows}
