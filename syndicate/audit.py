"""The audit log: who did what, to which post, article or channel, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndicate.models import AuditEntry


def record(
    session: Session,
    actor: str,
    action: str,
    now: datetime,
    *,
    post_id: int | None = None,
    article_id: str | None = None,
    **detail: Any,
) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action=action,
            post_id=post_id,
            article_id=article_id,
            detail=detail,
        )
    )


def entries(
    session: Session,
    *,
    post_id: int | None = None,
    article_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if post_id is not None:
        query = query.where(AuditEntry.post_id == post_id)
    if article_id is not None:
        query = query.where(AuditEntry.article_id == article_id)
    return list(session.scalars(query.limit(limit).offset(offset)))
