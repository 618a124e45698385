"""Admins add, change and remove channels through the API; the site file's channels are only
listed here. Credentials go in and never come out: answers say only whether each is set."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from syndicate import channelstore
from syndicate.channelstore import CREDENTIALS, ChannelProblem
from syndicate.config import ChannelConfig
from syndicate.models import utcnow
from syndicate.runtime import Runtime
from syndicate.web.auth import Admin
from syndicate.web.deps import AppRuntime
from syndicate.web.errors import ApiError

router = APIRouter(prefix="/api", tags=["channels"])
# The largest channel description the API takes: options are a few short strings and numbers.
MAX_FIELDS = 60


class StoredChannelOut(BaseModel):
    name: str
    platform: str
    source: str  # "app": added here; "file": from the site file, changed only there
    options: dict[str, Any]
    secret: str  # "set" or "unset": the token, app password or webhook address
    credentials: dict[str, str]  # each credential, "set" or "unset"

    @classmethod
    def of(cls, channel: ChannelConfig) -> StoredChannelOut:
        options = channel.model_dump(mode="json", exclude={"name", "platform"})
        return cls(
            name=channel.name,
            platform=channel.platform,
            source="app" if channel.added_in_app else "file",
            options=options,
            secret="set" if channel.credential_set("secret") or channel.oauth_tokens else "unset",
            credentials={
                name: "set" if channel.credential_set(name) else "unset" for name in CREDENTIALS
            },
        )


def _split(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The channel's options and its credentials, from one JSON object."""
    if len(payload) > MAX_FIELDS:
        raise ApiError(422, f"at most {MAX_FIELDS} fields")
    credentials = {}
    for name in CREDENTIALS:
        if name in payload:
            value = payload[name]
            if not isinstance(value, str) or len(value) > 4096:
                raise ApiError(422, f"{name}: a string of at most 4096 characters")
            credentials[name] = value
    options = {k: v for k, v in payload.items() if k not in CREDENTIALS}
    return options, credentials


def _changed(runtime: Runtime, channel: ChannelConfig) -> StoredChannelOut:
    runtime.channels.forget()
    return StoredChannelOut.of(channel)


@router.post("/channels", status_code=201, response_model=StoredChannelOut)
def add_channel(
    payload: Annotated[dict[str, Any], Body()], runtime: AppRuntime, who: Admin
) -> StoredChannelOut:
    """Add a channel: ChannelConfig's fields, and its credentials as `secret` (the token, app
    password or webhook URL), `refresh_token` and `client_secret`."""
    options, credentials = _split(payload)
    try:
        with runtime.factory.begin() as session:
            channel = channelstore.add(
                session, runtime.file_config, options, credentials, who.name, utcnow()
            )
    except ChannelProblem as problem:
        raise ApiError(problem.status, str(problem)) from None
    return _changed(runtime, channel)


@router.patch("/channels/{name}", response_model=StoredChannelOut)
def edit_channel(
    name: str, payload: Annotated[dict[str, Any], Body()], runtime: AppRuntime, who: Admin
) -> StoredChannelOut:
    """Change the options given and replace the credentials given (an empty one removes it)."""
    options, credentials = _split(payload)
    try:
        with runtime.factory.begin() as session:
            channel = channelstore.edit(
                session, runtime.file_config, name, options, credentials, who.name, utcnow()
            )
    except ChannelProblem as problem:
        raise ApiError(problem.status, str(problem)) from None
    return _changed(runtime, channel)


@router.delete("/channels/{name}", status_code=204)
def remove_channel(name: str, runtime: AppRuntime, who: Admin) -> None:
    """Remove a channel added here; its posts and their history stay."""
    try:
        with runtime.factory.begin() as session:
            channelstore.remove(session, runtime.file_config, name, who.name, utcnow())
    except ChannelProblem as problem:
        raise ApiError(problem.status, str(problem)) from None
    runtime.channels.forget()


@router.get("/channels/{name}", response_model=StoredChannelOut)
def show_channel(name: str, runtime: AppRuntime, who: Admin) -> StoredChannelOut:
    """One channel's options, where it comes from, and which credentials are set."""
    channel = runtime.config.channel(name)
    if channel is None:
        raise ApiError(404, f"no channel {name!r}")
    return StoredChannelOut.of(channel)
