"""A channel's routing rules in the review app: shown to everyone, changed by admins (stored
in the database, replacing the site file's until reset)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from syndicate import channelrules
from syndicate.config import ChannelConfig, ChannelRules
from syndicate.models import Role, utcnow
from syndicate.runtime import Runtime
from syndicate.web.auth import Principal
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.errors import ApiError
from syndicate.web.ui import display
from syndicate.web.ui.session import (
    PREFIX,
    AdminForm,
    Submitted,
    ViewerPage,
    back_to,
    form_with,
    notice_for,
    render,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)
LISTS = ("sections", "tags_any", "tags_none", "authors", "auto_approve_tags")
NUMBERS = ("max_age_hours", "max_per_day")


class RulesFields(BaseModel):
    """The form as typed: lists comma-separated, numbers as text, empty meaning none."""

    sections: str = Field(default="", max_length=4000)
    tags_any: str = Field(default="", max_length=4000)
    tags_none: str = Field(default="", max_length=4000)
    authors: str = Field(default="", max_length=4000)
    auto_approve_tags: str = Field(default="", max_length=4000)
    max_age_hours: str = Field(default="", max_length=20)
    max_per_day: str = Field(default="", max_length=20)
    quiet_hours: str = Field(default="", max_length=20)
    timezone: str = Field(default="UTC", max_length=64)


def _rules(fields: RulesFields) -> ChannelRules:
    """ChannelRules from the form; ValidationError naming the field if one is wrong."""
    data: dict[str, object] = {
        name: [v.strip() for v in getattr(fields, name).split(",") if v.strip()] for name in LISTS
    }
    data["quiet_hours"] = fields.quiet_hours.strip()
    data["timezone"] = fields.timezone.strip()
    for name in NUMBERS:
        data[name] = getattr(fields, name).strip() or None
    return ChannelRules.model_validate(data, strict=False)  # numbers arrive as text


def _channel(runtime: Runtime, name: str) -> ChannelConfig:
    channel = runtime.config.channel(name)
    if channel is None:
        raise ApiError(404, f"no channel {name!r}")
    return channel


def _page(
    runtime: Runtime,
    session: DbSession,
    who: Principal,
    channel: ChannelConfig,
    errors: dict[str, str] | None = None,
    typed: RulesFields | None = None,
    notice: str = "",
) -> Response:
    row = channelrules.stored(session).get(channel.name)
    rules = channelrules.rules_of(session, channel)
    shown = typed or RulesFields(
        **{name: ", ".join(getattr(rules, name)) for name in LISTS},
        **{
            name: "" if getattr(rules, name) is None else f"{getattr(rules, name):g}"
            for name in NUMBERS
        },
        quiet_hours=rules.quiet_hours,
        timezone=rules.timezone,
    )
    return render(
        runtime,
        "review/rules.html.j2",
        who,
        422 if errors else 200,
        channel=channel,
        stored=row,
        form=shown,
        errors=errors or {},
        zones=display.TIME_ZONES,
        notice=notice,
    )


@router.get("/channels/{name}/rules")
def rules_page(
    name: str, request: Request, runtime: AppRuntime, session: DbSession, who: ViewerPage
) -> Response:
    return _page(runtime, session, who, _channel(runtime, name), notice=notice_for(request))


@router.post("/channels/{name}/rules")
def save_rules(
    name: str,
    runtime: AppRuntime,
    session: DbSession,
    sent: Annotated[Submitted[RulesFields], form_with(Role.ADMIN, RulesFields)],
) -> Response:
    channel = _channel(runtime, name)
    try:
        rules = _rules(sent.fields)
    except ValidationError as exc:
        errors = {
            str(e["loc"][0]): str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()
        }
        return _page(runtime, session, sent.who, channel, errors, sent.fields)
    with runtime.factory.begin() as tx:
        channelrules.save(tx, channel.name, rules, sent.who.name, utcnow())
    return back_to(f"/channels/{channel.name}/rules", "rules-saved")


@router.post("/channels/{name}/rules/reset")
def reset_rules(name: str, runtime: AppRuntime, who: AdminForm) -> Response:
    channel = _channel(runtime, name)
    with runtime.factory.begin() as tx:
        channelrules.reset(tx, channel.name, who.name, utcnow())
    return back_to(f"/channels/{channel.name}/rules", "rules-reset")
