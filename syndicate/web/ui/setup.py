"""First run in the browser: while no administrator exists, the home page and the review app
lead to /setup, which creates the first one and signs them in.

Set-up is open only from this machine (the client a loopback address, as uvicorn sees it
behind a trusted proxy) unless SYNDICATE_SETUP_TOKEN is set and typed in: a public instance
must not be claimed by the first stranger to find it. Once an administrator exists, /setup is
gone."""

from __future__ import annotations

import hmac
import ipaddress
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from syndicate import audit
from syndicate.models import Role, utcnow
from syndicate.signin import start_session
from syndicate.users import MIN_PASSWORD, UserError, admin_exists, create_user
from syndicate.web.auth import COOKIE, CSRF_FIELD
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.errors import ApiError
from syndicate.web.ui.session import PREFIX, new_login_csrf, render

router = APIRouter(include_in_schema=False)
SETUP_CSRF_COOKIE = "syndicate_setup_csrf"


def _from_this_machine(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _gate(request: Request, runtime: AppRuntime, session: DbSession) -> bool:
    """Whether the set-up form needs the token; ApiError when set-up is closed to this client."""
    if admin_exists(session):
        raise ApiError(404, "Syndicate is set up: sign in at /review/login")
    if _from_this_machine(request):
        return False
    if not runtime.settings.setup_token.get_secret_value():
        raise ApiError(
            403,
            "set-up is open only from the machine Syndicate runs on, unless "
            "SYNDICATE_SETUP_TOKEN is set on the server and typed into the form",
        )
    return True


def _page(runtime: AppRuntime, needs_token: bool, error: str = "", status: int = 200) -> Response:
    token = new_login_csrf()
    response = render(
        runtime,
        "review/setup.html.j2",
        None,
        status,
        setup_csrf=token,
        needs_token=needs_token,
        error=error,
        min_password=MIN_PASSWORD,
    )
    secure = runtime.settings.base_url.startswith("https://")
    response.set_cookie(
        SETUP_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/setup"
    )
    return response


@router.get("/setup")
def setup_form(request: Request, runtime: AppRuntime, session: DbSession) -> Response:
    return _page(runtime, _gate(request, runtime, session))


@router.post("/setup")
def setup(
    request: Request,
    runtime: AppRuntime,
    session: DbSession,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1000)],
    name: Annotated[str, Form(max_length=200)] = "",
    token: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
) -> Response:
    needs_token = _gate(request, runtime, session)
    expected = request.cookies.get(SETUP_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _page(runtime, needs_token, "The form had expired. Try again.", 403)
    if needs_token:
        wanted = runtime.settings.setup_token.get_secret_value().encode()
        if not hmac.compare_digest(wanted, token.encode("utf-8", "surrogatepass")):
            return _page(runtime, needs_token, "That is not the set-up token.", 403)
    try:
        with runtime.factory.begin() as tx:
            if admin_exists(tx):  # another browser got there first
                raise ApiError(404, "Syndicate is set up: sign in at /review/login")
            user = create_user(tx, username, password, Role.ADMIN, name)
            audit.record(
                tx, user.username, "create_user", utcnow(), user=user.username, role=Role.ADMIN
            )
            lifetime = timedelta(hours=runtime.settings.session_hours)
            session_token = start_session(tx, user, utcnow(), lifetime)
    except UserError as exc:
        return _page(runtime, needs_token, str(exc), 422)
    response = RedirectResponse(f"{PREFIX}/start", status_code=303)
    response.set_cookie(
        COOKIE,
        session_token,
        httponly=True,
        samesite="lax",
        secure=runtime.settings.base_url.startswith("https://"),
        path="/",
        max_age=int(lifetime.total_seconds()),
    )
    response.delete_cookie(SETUP_CSRF_COOKIE, path="/setup")
    return response
