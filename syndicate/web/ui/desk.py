"""What the desk was told: every notification, its target, and how sending it went."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from syndicate import notifications
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.ui.session import PREFIX, AdminPage, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/notifications")
def notification_log(runtime: AppRuntime, session: DbSession, who: AdminPage) -> Response:
    return render(
        runtime,
        "review/notifications.html.j2",
        who,
        rows=notifications.recent(session),
        targets=runtime.config.notifications,
    )
