"""Channels and their pause switches; users and their roles. Changing them needs `admin`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from syndicate import audit, channelhealth, channels
from syndicate.models import ALL_CHANNELS, ChannelToken, Role, utcnow
from syndicate.users import UserError, create_user, list_users, set_disabled, set_role
from syndicate.web import actions
from syndicate.web.auth import Principal
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.ui.session import (
    PREFIX,
    AdminForm,
    AdminPage,
    Submitted,
    ViewerPage,
    back_to,
    form_with,
    notice_for,
    render,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)


class PauseFields(BaseModel):
    reason: str = Field(default="", max_length=500)


class NewUserFields(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1000)
    role: str = Field(max_length=16)
    name: str = Field(default="", max_length=200)
    timezone: str = Field(default="UTC", max_length=64)


class UserFields(BaseModel):
    role: str = Field(max_length=16)
    disabled: bool = False


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
        health=channelhealth.recorded(session),
        expiries={
            channel: (expires_at, bool(renewable))
            for channel, expires_at, renewable in session.execute(
                select(
                    ChannelToken.channel,
                    ChannelToken.expires_at,
                    ChannelToken.refresh_token != "",
                ).where(ChannelToken.expires_at.is_not(None))
            )
        },
        everything=states.get(ALL_CHANNELS),
        notice=notice_for(request),
    )


@router.post("/channels/{name}/pause")
def pause(
    name: str,
    runtime: AppRuntime,
    sent: Annotated[Submitted[PauseFields], form_with(Role.ADMIN, PauseFields)],
) -> Response:
    actions.switch_channel(runtime, sent.who, name, True, sent.fields.reason)
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


def _users_error(runtime: AppRuntime, session: DbSession, who: Principal, message: str) -> Response:
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
    sent: Annotated[Submitted[NewUserFields], form_with(Role.ADMIN, NewUserFields)],
) -> Response:
    who, form = sent.who, sent.fields
    username, role = form.username, form.role
    try:
        with runtime.factory.begin() as tx:
            user = create_user(tx, username, form.password, role, form.name, form.timezone)
            audit.record(tx, who.name, "create_user", utcnow(), user=user.username, role=role)
    except UserError as exc:
        return _users_error(runtime, session, who, str(exc))
    return back_to("/users", "user-created")


@router.post("/users/{username}")
def change_user(
    username: str,
    runtime: AppRuntime,
    session: DbSession,
    sent: Annotated[Submitted[UserFields], form_with(Role.ADMIN, UserFields)],
) -> Response:
    who, role, disabled = sent.who, sent.fields.role, sent.fields.disabled
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
