"""The fediverse in the review app: each actor's handle and followers, the follow requests
waiting for an admin, how deliveries are going, and the servers no longer delivered to."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from syndicate.activitypub import followers, service
from syndicate.models import ApDelivery, utcnow
from syndicate.web.deps import AppRuntime, DbSession, TaskQueue
from syndicate.web.ui.session import PREFIX, AdminForm, ViewerPage, back_to, notice_for, render

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/fediverse")
def fediverse_page(
    request: Request, runtime: AppRuntime, session: DbSession, who: ViewerPage
) -> Response:
    where = service.addresses(runtime)
    actors = service.actors(runtime)
    by_status = dict(
        session.execute(select(ApDelivery.status, func.count()).group_by(ApDelivery.status)).all()
    )
    return render(
        runtime,
        "review/fediverse.html.j2",
        who,
        actors=[(name, where.handle(name), where.actor(name)) for name in actors],
        counts=followers.counts(session),
        waiting=followers.pending(session),
        dropped=followers.dropped(session),
        deliveries=by_status,
        notice=notice_for(request),
    )


def _answer(runtime: AppRuntime, queue: TaskQueue, follower_id: int, accept: bool) -> Response:
    with runtime.factory.begin() as session:
        delivery = followers.answer(
            session, service.addresses(runtime), follower_id, accept, utcnow()
        )
    if delivery is not None:
        queue.send("syndicate.ap_deliver", delivery)
    return back_to("/fediverse", "follow-accepted" if accept else "follow-rejected")


@router.post("/fediverse/followers/{follower_id}/accept")
def accept_follow(
    follower_id: int, runtime: AppRuntime, queue: TaskQueue, who: AdminForm
) -> Response:
    return _answer(runtime, queue, follower_id, True)


@router.post("/fediverse/followers/{follower_id}/reject")
def reject_follow(
    follower_id: int, runtime: AppRuntime, queue: TaskQueue, who: AdminForm
) -> Response:
    return _answer(runtime, queue, follower_id, False)
