"""Connecting accounts in the review app (admins): Mastodon through its consent page, Bluesky
with an app password, Telegram with a bot token, Discord and Slack with a webhook address, a
generic webhook with a signing secret made here. Every channel is checked with the platform
before it is stored; anything that fails ends on this page with what went wrong, and nothing
stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from syndicate import channelstore
from syndicate.channelstore import ChannelProblem
from syndicate.config import ChannelConfig
from syndicate.connect import attempts, bluesky, direct, facebook, mastodon, oauth, providers
from syndicate.connect.attempts import Connected, ConnectProblem
from syndicate.connect.store import store
from syndicate.models import Role, utcnow
from syndicate.runtime import Runtime
from syndicate.web.auth import Principal
from syndicate.web.deps import AppRuntime
from syndicate.web.errors import ApiError
from syndicate.web.ui.session import (
    PREFIX,
    AdminForm,
    AdminPage,
    Submitted,
    back_to,
    form_with,
    render,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)
MASTODON_RETURN = "/channels/connect/mastodon/done"
# An attempt holding a Facebook user token while the admin picks one of their Pages.
PAGE_PICK = "facebook-page"


class MastodonFields(BaseModel):
    name: str = Field(max_length=63)
    server: str = Field(max_length=300)


class BlueskyFields(BaseModel):
    name: str = Field(max_length=63)
    handle: str = Field(max_length=253)
    app_password: str = Field(max_length=200)


class TelegramFields(BaseModel):
    name: str = Field(max_length=63)
    bot_token: str = Field(max_length=200)
    chat: str = Field(max_length=200)
    api_server: str = Field(default="", max_length=300)


class AddressFields(BaseModel):
    name: str = Field(max_length=63)
    platform: str = Field(max_length=16)
    address: str = Field(max_length=2000)


def _page(
    runtime: Runtime, who: Principal, problem: str = "", status: int = 200, **shown: Any
) -> Response:
    offered = [
        (platform, providers.LABELS[platform])
        for platform in providers.OAUTH
        if runtime.settings.oauth_client(platform)
    ]
    context = {
        "authorize": "",
        "server": "",
        "signing_secret": "",
        "made": "",
        "pages": [],
        "pick_state": "",
        "oauth_platforms": offered,
        **shown,
    }
    return render(
        runtime, "review/connect.html.j2", who, status_code=status, problem=problem, **context
    )


def _store(runtime: Runtime, connected: Connected, who: Principal) -> None:
    store(runtime.factory, runtime.file_config, connected, who.name, utcnow())
    runtime.channels.forget()


def _callback(runtime: Runtime) -> str:
    return f"{runtime.settings.base_url.rstrip('/')}{PREFIX}{MASTODON_RETURN}"


@router.get("/channels/connect")
def connect_page(runtime: AppRuntime, who: AdminPage) -> Response:
    return _page(runtime, who)


@router.post("/channels/connect/mastodon")
async def start_mastodon(
    runtime: AppRuntime,
    sent: Annotated[Submitted[MastodonFields], form_with(Role.ADMIN, MastodonFields)],
) -> Response:
    name = sent.fields.name.strip()
    try:
        if runtime.config.channel(name) is not None:
            raise ConnectProblem(f"there is already a channel named {name!r}")
        url = await run_in_threadpool(
            mastodon.start,
            runtime.factory,
            sent.fields.server,
            name,
            sent.who.name,
            _callback(runtime),
            utcnow(),
        )
    except ConnectProblem as problem:
        return _page(runtime, sent.who, str(problem), 400)
    # A form may not lead to another site (the pages' form-action policy): the admin follows
    # a link to the server's consent page instead.
    return _page(runtime, sent.who, authorize=url, server=mastodon.server_url(sent.fields.server))


@router.get(MASTODON_RETURN)
async def finish_mastodon(request: Request, runtime: AppRuntime, who: AdminPage) -> Response:
    query = request.query_params
    state, code = query.get("state", "")[:200], query.get("code", "")[:2000]
    try:
        with runtime.factory.begin() as session:
            attempt = attempts.claim(session, state, who.name, utcnow())
        if query.get("error"):
            reason = query.get("error_description") or query.get("error", "")
            raise ConnectProblem(f"{attempt.server} did not grant access: {reason[:300]}")
        if not code:
            raise ConnectProblem(f"{attempt.server} sent no authorization code back")
        connected = await run_in_threadpool(
            mastodon.finish, runtime.factory, attempt, code, _callback(runtime)
        )
        await run_in_threadpool(_store, runtime, connected, who)
    except (ConnectProblem, ChannelProblem) as problem:
        return _page(runtime, who, str(problem), 400)
    return back_to("/channels", "connected")


async def _connect(runtime: Runtime, who: Principal, make: Callable[[], Connected]) -> Response:
    """Check the account with its platform and store the channel, or say what went wrong."""
    try:
        connected = await run_in_threadpool(make)
        await run_in_threadpool(_store, runtime, connected, who)
    except (ConnectProblem, ChannelProblem) as problem:
        return _page(runtime, who, str(problem), 400)
    return back_to("/channels", "connected")


@router.post("/channels/connect/bluesky")
async def connect_bluesky(
    runtime: AppRuntime,
    sent: Annotated[Submitted[BlueskyFields], form_with(Role.ADMIN, BlueskyFields)],
) -> Response:
    fields, settings = sent.fields, runtime.settings
    return await _connect(
        runtime,
        sent.who,
        lambda: bluesky.connect(
            fields.name.strip(),
            fields.handle,
            fields.app_password,
            settings.bluesky_entryway_url,
            settings.plc_directory_url,
        ),
    )


@router.post("/channels/connect/telegram")
async def connect_telegram(
    runtime: AppRuntime,
    sent: Annotated[Submitted[TelegramFields], form_with(Role.ADMIN, TelegramFields)],
) -> Response:
    fields = sent.fields
    return await _connect(
        runtime,
        sent.who,
        lambda: direct.telegram(
            fields.name.strip(), fields.bot_token, fields.chat, fields.api_server
        ),
    )


@router.post("/channels/connect/address")
async def connect_by_address(
    runtime: AppRuntime,
    sent: Annotated[Submitted[AddressFields], form_with(Role.ADMIN, AddressFields)],
) -> Response:
    fields = sent.fields
    try:
        if fields.platform == "webhook":
            connected = direct.webhook(fields.name.strip(), fields.address)
        elif fields.platform in ("discord", "slack"):
            connected = await run_in_threadpool(
                direct.chat_webhook, fields.name.strip(), fields.platform, fields.address
            )
        else:
            raise ConnectProblem("connect by address is for discord, slack and webhook")
        await run_in_threadpool(_store, runtime, connected, sent.who)
    except (ConnectProblem, ChannelProblem) as problem:
        return _page(runtime, sent.who, str(problem), 400)
    if fields.platform == "webhook":
        # Shown this once: the receiver needs it to check the signatures.
        return _page(
            runtime, sent.who, signing_secret=connected.credentials["secret"], made=fields.name
        )
    return back_to("/channels", "connected")


class NameFields(BaseModel):
    name: str = Field(max_length=63)


class PageFields(BaseModel):
    state: str = Field(max_length=200)
    page: str = Field(max_length=64)


def _oauth_callback(runtime: Runtime, platform: str) -> str:
    return f"{runtime.settings.base_url.rstrip('/')}{PREFIX}/channels/connect/oauth/{platform}/done"


def _oauth_app(runtime: Runtime, platform: str) -> oauth.App:
    found = providers.app(runtime.settings.oauth_client(platform))
    if platform not in providers.OAUTH or found is None:
        raise ConnectProblem(
            f"connecting {platform} needs the newsroom's app on it: set "
            f"SYNDICATE_{platform.upper()}_OAUTH_CLIENT"
        )
    return found


@router.post("/channels/connect/oauth/{platform}")
async def start_oauth(
    platform: str,
    runtime: AppRuntime,
    sent: Annotated[Submitted[NameFields], form_with(Role.ADMIN, NameFields)],
) -> Response:
    name = sent.fields.name.strip()
    try:
        app = _oauth_app(runtime, platform)
        if runtime.config.channel(name) is not None:
            raise ConnectProblem(f"there is already a channel named {name!r}")
        provider = providers.provider(platform, runtime.settings.oauth_servers)
        url = await run_in_threadpool(
            oauth.start,
            runtime.factory,
            provider,
            app,
            name,
            sent.who.name,
            _oauth_callback(runtime, platform),
            utcnow(),
        )
    except ConnectProblem as problem:
        return _page(runtime, sent.who, str(problem), 400)
    shown = urlsplit(provider.authorize).netloc
    return _page(runtime, sent.who, authorize=url, server=shown)


@router.get("/channels/connect/oauth/{platform}/done")
async def finish_oauth(
    platform: str, request: Request, runtime: AppRuntime, who: AdminPage
) -> Response:
    query = request.query_params
    state, code = query.get("state", "")[:200], query.get("code", "")[:2000]
    try:
        app = _oauth_app(runtime, platform)
        provider = providers.provider(platform, runtime.settings.oauth_servers)
        with runtime.factory.begin() as session:
            attempt = attempts.claim(session, state, who.name, utcnow())
        if attempt.platform != platform:
            raise ConnectProblem("this connection was started for another platform; start again")
        if query.get("error"):
            reason = query.get("error_description") or query.get("error", "")
            raise ConnectProblem(f"{platform} did not grant access: {reason[:300]}")
        if not code:
            raise ConnectProblem(f"{platform} sent no authorization code back")
        answer = await run_in_threadpool(
            oauth.exchange,
            provider,
            app,
            code,
            attempt.code_verifier,
            _oauth_callback(runtime, platform),
        )
        if platform == "facebook":
            return await _pick_page(runtime, who, provider, app, answer, attempt.channel)
        module = providers.OAUTH[platform]
        connected = await run_in_threadpool(
            module.connected, provider, app, answer, attempt.channel
        )
        await run_in_threadpool(_store, runtime, connected, who)
    except (ConnectProblem, ChannelProblem) as problem:
        return _page(runtime, who, str(problem), 400)
    return back_to("/channels", "connected")


async def _pick_page(
    runtime: Runtime,
    who: Principal,
    provider: oauth.Provider,
    app: oauth.App,
    answer: dict[str, Any],
    channel: str,
) -> Response:
    """One Page: connected. Several: the admin picks one; the long-lived user token waits,
    sealed, in an attempt of its own."""
    user_token = await run_in_threadpool(facebook.long_lived, provider, app, answer)
    pages = await run_in_threadpool(facebook.pages, provider, user_token)
    if len(pages) == 1:
        connected = await run_in_threadpool(facebook.connected, provider, pages[0], channel)
        await run_in_threadpool(_store, runtime, connected, who)
        return back_to("/channels", "connected")
    with runtime.factory.begin() as session:
        state = attempts.begin(session, PAGE_PICK, channel, "", user_token, who.name, utcnow())
    return _page(runtime, who, pages=[(p.id, p.name) for p in pages], pick_state=state)


@router.post("/channels/connect/facebook/page")
async def pick_page(
    runtime: AppRuntime,
    sent: Annotated[Submitted[PageFields], form_with(Role.ADMIN, PageFields)],
) -> Response:
    try:
        provider = providers.provider("facebook", runtime.settings.oauth_servers)
        with runtime.factory.begin() as session:
            attempt = attempts.claim(session, sent.fields.state, sent.who.name, utcnow())
        if attempt.platform != PAGE_PICK:
            raise ConnectProblem("this choice belongs to no Facebook connection; start again")
        pages = await run_in_threadpool(facebook.pages, provider, attempt.code_verifier)
        page = next((p for p in pages if p.id == sent.fields.page), None)
        if page is None:
            raise ConnectProblem("that Page is not one the account manages; start again")
        connected = await run_in_threadpool(facebook.connected, provider, page, attempt.channel)
        await run_in_threadpool(_store, runtime, connected, sent.who)
    except (ConnectProblem, ChannelProblem) as problem:
        return _page(runtime, sent.who, str(problem), 400)
    return back_to("/channels", "connected")


@router.post("/channels/{name}/remove")
def remove_channel(name: str, runtime: AppRuntime, who: AdminForm) -> Response:
    """Remove a channel added here (the site file's are removed from the file)."""
    try:
        with runtime.factory.begin() as session:
            channelstore.remove(session, runtime.file_config, name, who.name, utcnow())
    except ChannelProblem as problem:
        return _page(runtime, who, str(problem), problem.status)
    runtime.channels.forget()
    return back_to("/channels", "removed")


class ChannelFields(BaseModel):
    """What the edit form changes: the options a desk steers most, and a new credential."""

    enabled: str = Field(default="", max_length=5)
    auto_approve: str = Field(default="", max_length=5)
    edit_on_update: str = Field(default="", max_length=5)
    delete_on_unpublish: str = Field(default="", max_length=5)
    photo: str = Field(default="", max_length=5)
    thread: str = Field(default="never", max_length=5)
    template: str = Field(default="", max_length=200)
    first_reply: str = Field(default="", max_length=200)
    max_hashtags: str = Field(default="3", max_length=3)
    secret: str = Field(default="", max_length=4096)


def _stored_channel(runtime: Runtime, name: str) -> ChannelConfig:
    channel = runtime.config.channel(name)
    if channel is None or not channel.added_in_app:
        raise ApiError(404, f"no channel {name!r} added here (the site file's change in the file)")
    return channel


def _edit_page(
    runtime: Runtime, who: Principal, channel: ChannelConfig, problem: str = "", status: int = 200
) -> Response:
    return render(
        runtime,
        "review/channel_edit.html.j2",
        who,
        status_code=status,
        channel=channel,
        problem=problem,
        secret_set=channel.credential_set("secret"),
    )


@router.get("/channels/{name}/edit")
def edit_page(name: str, runtime: AppRuntime, who: AdminPage) -> Response:
    return _edit_page(runtime, who, _stored_channel(runtime, name))


@router.post("/channels/{name}/edit")
def save_channel(
    name: str,
    runtime: AppRuntime,
    sent: Annotated[Submitted[ChannelFields], form_with(Role.ADMIN, ChannelFields)],
) -> Response:
    channel = _stored_channel(runtime, name)
    fields = sent.fields
    changes: dict[str, Any] = {
        flag: getattr(fields, flag) == "on"
        for flag in ("enabled", "auto_approve", "edit_on_update", "delete_on_unpublish", "photo")
    }
    changes |= {
        "thread": fields.thread,
        "template": fields.template.strip(),
        "first_reply": fields.first_reply.strip(),
    }
    if not fields.max_hashtags.strip().isdigit():
        return _edit_page(runtime, sent.who, channel, "max_hashtags: a whole number", 422)
    changes["max_hashtags"] = int(fields.max_hashtags)
    credentials = {"secret": fields.secret} if fields.secret else {}
    try:
        with runtime.factory.begin() as session:
            channelstore.edit(
                session, runtime.file_config, name, changes, credentials, sent.who.name, utcnow()
            )
    except ChannelProblem as problem:
        return _edit_page(runtime, sent.who, channel, str(problem), problem.status)
    runtime.channels.forget()
    return back_to("/channels", "channel-saved")
