"""The review app's plumbing: who is signed in, what their role allows, CSRF on every form,
and rendering a page with the person's own time zone."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar, get_origin
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from syndicate import threads
from syndicate.models import Role, utcnow
from syndicate.runtime import Runtime
from syndicate.templating import html_environment
from syndicate.users import admin_exists
from syndicate.web.auth import CSRF_FIELD, Principal, csrf_ok, principal
from syndicate.web.deps import AppRuntime
from syndicate.web.ui import display, looks
from syndicate.weblinks import live_link

PREFIX = "/review"
MAX_FORM_FIELDS = 1000
LOGIN_CSRF_COOKIE = "syndicate_login_csrf"
# The pages load their own script and styles only, and may not be framed.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'"
)


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class PageRefused(Exception):
    """Signed in, but not allowed (role) or not from our own form (CSRF)."""

    def __init__(self, message: str, who: Principal | None) -> None:
        self.message, self.who = message, who


def _person(request: Request, runtime: Runtime) -> Principal | None:
    # Pages answer to the browser session only; bearer tokens are for the API.
    if request.headers.get("Authorization"):
        return None
    return principal(request, runtime)


def page_role(role: Role) -> Any:
    def check(request: Request, runtime: AppRuntime) -> Principal:
        who = _person(request, runtime)
        if who is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target)
        if not who.allows(role):
            raise PageRefused(f"This needs the {role} role; you are {who.role}.", who)
        return who

    return Depends(check)


F = TypeVar("F", bound=BaseModel)


@dataclass(frozen=True)
class Submitted(Generic[F]):
    """A form as a signed-in person sent it: who, and its fields."""

    who: Principal
    fields: F


async def _read_form(request: Request, runtime: Runtime, role: Role) -> tuple[Principal, Any]:
    """Sign-in and role first; only then is the body read, and its CSRF token checked."""
    who = _person(request, runtime)
    if who is None:
        raise SignInRequired(PREFIX + "/")
    if not who.allows(role):
        raise PageRefused(f"This needs the {role} role; you are {who.role}.", who)
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    if not csrf_ok(who, str(form.get(CSRF_FIELD) or "")):
        raise PageRefused(
            "This form was not sent from a page of this app (its CSRF token is missing or "
            "wrong). Go back, reload the page and try again.",
            who,
        )
    return who, form


def _fields(model: type[F], form: Any) -> F:
    values = {
        name: form.getlist(name) if get_origin(field.annotation) is list else form.get(name)
        for name, field in model.model_fields.items()
        if form.get(name) not in (None, "")  # an empty field is a missing one, as in FastAPI
    }
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def form_role(role: Role) -> Any:
    """For POSTed forms without fields of their own: the role, then the CSRF token."""

    async def check(request: Request, runtime: AppRuntime) -> Principal:
        who, _ = await _read_form(request, runtime, role)
        return who

    return Depends(check)


def form_with(role: Role, model: type[F]) -> Any:
    """For POSTed forms: the role, then the CSRF token, then the fields `model` describes.
    The route names no Form() parameters, which FastAPI would read before any check."""

    async def check(request: Request, runtime: AppRuntime) -> Submitted[F]:
        who, form = await _read_form(request, runtime, role)
        return Submitted(who, _fields(model, form))

    return Depends(check)


ViewerPage = Annotated[Principal, page_role(Role.VIEWER)]
AdminPage = Annotated[Principal, page_role(Role.ADMIN)]
EditorForm = Annotated[Principal, form_role(Role.EDITOR)]
ApproverForm = Annotated[Principal, form_role(Role.APPROVER)]
AdminForm = Annotated[Principal, form_role(Role.ADMIN)]


def render(
    runtime: Runtime,
    name: str,
    who: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    env = html_environment(runtime.html_templates)
    timezone = who.timezone if who else "UTC"
    page = env.get_template(name).render(
        who=who,
        site=context.pop("site", None) or runtime.site(),
        prefix=PREFIX,
        csrf_field=CSRF_FIELD,
        local=lambda moment: display.local_time(moment, timezone),
        input_time=lambda moment: display.input_time(moment, timezone),
        highlight=display.highlight,
        as_shown=looks.as_shown,
        joined=threads.joined,
        embargoed=lambda article: display.embargoed(article, utcnow()),
        live_link=live_link,
        word_diff=display.word_diff,
        Role=Role,
        notice=context.pop("notice", ""),
        **context,
    )
    return HTMLResponse(page, status_code=status_code, headers=page_headers())


def page_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": PAGE_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


# What a redirect after a form may say; the query names one of these, never free text.
NOTICES = {
    "rules-saved": "Rules saved: they apply from the next article and the next send.",
    "rules-reset": "The site file's rules apply again.",
    "added": "Post added.",
    "approved": "Approved.",
    "scheduled": "Scheduled.",
    "sending": "Approved to go out now.",
    "rejected": "Rejected.",
    "saved": "Saved. The post is back in the queue for approval.",
    "invalid": "Saved, but the platform would refuse this text: see the problems below.",
    "retrying": "Sent back to be delivered again.",
    "resolved": "Recorded as you found it on the platform.",
    "card-checked": "Checked: the card check below is what the crawler found just now.",
    "paused": "Paused.",
    "resumed": "Resumed.",
    "connected": "Connected: the account was checked with the platform, and the channel is ready.",
    "removed": "Channel removed. Its posts and their history stay.",
    "channel-saved": "Channel saved: every process uses it from the next post on.",
    "follow-accepted": "Follow accepted: the follower is told, and gets the next articles.",
    "follow-rejected": "Follow request rejected.",
    "user-created": "User created.",
    "user-changed": "User changed.",
    "test-sent": "The test article is on its way through the pipeline; this page shows it.",
    "test-removed": "The test article is unpublished: it leaves every feed.",
    "site-saved": "Saved. Every feed is being rendered again with the site's details.",
}


def back_to(path: str, notice: str = "") -> RedirectResponse:
    target = PREFIX + path + (f"?notice={quote(notice)}" if notice in NOTICES else "")
    return RedirectResponse(target, status_code=303)


def notice_for(request: Request) -> str:
    return NOTICES.get(request.query_params.get("notice", ""), "")


def install(app: FastAPI, runtime: Runtime) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(_: Request, exc: SignInRequired) -> Response:
        if not await run_in_threadpool(_set_up, runtime):
            return RedirectResponse("/setup", status_code=303)
        return RedirectResponse(f"{PREFIX}/login?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(PageRefused)
    async def _refused(_: Request, exc: PageRefused) -> Response:
        return render(runtime, "review/refused.html.j2", exc.who, 403, message=exc.message)


def _set_up(runtime: Runtime) -> bool:
    with runtime.factory() as session:
        return admin_exists(session)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)
