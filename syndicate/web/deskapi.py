"""The social desk's API: what it was told (notifications)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel

from syndicate import notifications
from syndicate.web.auth import Admin
from syndicate.web.deps import DbSession

router = APIRouter(prefix="/api", tags=["desk"])


class NotificationOut(BaseModel):
    id: int
    target: str
    event: str
    subject: str
    status: str
    attempts: int
    error: str
    created_at: datetime
    sent_at: datetime | None


@router.get("/notifications", response_model=list[NotificationOut])
def notification_log(
    session: DbSession, who: Admin, limit: int = Query(default=100, ge=1, le=200)
) -> list[NotificationOut]:
    """Every message to a `[[notifications]]` target, newest first, and how sending it went."""
    return [
        NotificationOut.model_validate(n, from_attributes=True)
        for n in notifications.recent(session, limit)
    ]
