"""Channels and their pause switches; users and their roles. Changing them needs `admin`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from syndicate import audit, channels
from syndicate.models import ALL_CHANNELS, Role, utcnow
from syndicate.users import UserError, create_user, list_users, set_disabled, set_role
from syndicate.web import actions
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.ui.session import (
    PREFIX,
    AdminForm,
    AdminPage,
    ViewerPage,
    back_to,
    notice_for,
    render,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/channels")
def channel_list(
    request: Request, runtime: AppRuntime, session: DbSession, who: ViewerPage
) -> Response:
    states = channels.states(session)
    rows = [
        (channel, states.get(channel.name), channels.paused_because(session, channel.name))
        for channel in runtime.config.channels
    ]
    return render(
        runtime,
        "review/channels.html.j2",
        who,
        rows=rows,
        everything=states.get(ALL_CHANNELS),
        notice=notice_for(request),
    )


@router.post("/channels/{name}/pause")
def pause(
    name: str,
    runtime: AppRuntime,
    who: AdminForm,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    actions.switch_channel(runtime, who, name, True, reason)
    return back_to("/channels", "paused")


@router.post("/channels/{name}/resume")
def resume(name: str, runtime: AppRuntime, who: AdminForm) -> Response:
    actions.switch_channel(runtime, who, name, False, "")
    return back_to("/channels", "resumed")


@router.get("/users")
def users(request: Request, runtime: AppRuntime, session: DbSession, who: AdminPage) -> Response:
    return render(
        runtime,
        "review/users.html.j2",
        who,
        users=list_users(session),
        roles=list(Role),
        notice=notice_for(request),
    )


def _users_error(runtime: AppRuntime, session: DbSession, who: AdminForm, message: str) -> Response:
    return render(
        runtime,
        "review/users.html.j2",
        who,
        422,
        users=list_users(session),
        roles=list(Role),
        error=message,
    )


@router.post("/users")
def add_user(
    runtime: AppRuntime,
    session: DbSession,
    who: AdminForm,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1000)],
    role: Annotated[str, Form(max_length=16)],
    name: Annotated[str, Form(max_length=200)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "UTC",
) -> Response:
    try:
        with runtime.factory.begin() as tx:
            user = create_user(tx, username, password, role, name, timezone)
            audit.record(tx, who.name, "create_user", utcnow(), user=user.username, role=role)
    except UserError as exc:
        return _users_error(runtime, session, who, str(exc))
    return back_to("/users", "user-created")


@router.post("/users/{username}")
def change_user(
    username: str,
    runtime: AppRuntime,
    session: DbSession,
    who: AdminForm,
    role: Annotated[str, Form(max_length=16)],
    disabled: Annotated[bool, Form()] = False,
) -> Response:
    try:
        with runtime.factory.begin() as tx:
            set_role(tx, username, role)
            set_disabled(tx, username, disabled)
            audit.record(
                tx, who.name, "change_user", utcnow(), user=username, role=role, disabled=disabled
            )
    except UserError as exc:
        return _users_error(runtime, session, who, str(exc))
    return back_to("/users", "user-changed")
