"""Signing in and out of the review app."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from syndicate.models import Role, utcnow
from syndicate.signin import end_session, start_session
from syndicate.throttle import SignInThrottle
from syndicate.users import authenticate
from syndicate.web.auth import COOKIE, CSRF_FIELD, Principal
from syndicate.web.deps import AppRuntime
from syndicate.web.ui.session import (
    LOGIN_CSRF_COOKIE,
    PREFIX,
    PageRefused,
    form_role,
    new_login_csrf,
    render,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only a path inside the app: never another site (an open redirect)."""
    if target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX + "/"


def _secure(runtime: AppRuntime) -> bool:
    return runtime.settings.base_url.startswith("https://")


def _login_page(
    runtime: AppRuntime, next_path: str, error: str = "", status: int = 200
) -> Response:
    token = new_login_csrf()
    response = render(
        runtime,
        "review/login.html.j2",
        None,
        status,
        next_path=_safe_next(next_path),
        error=error,
        login_csrf=token,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(runtime),
        path=f"{PREFIX}/login",
        max_age=3600,
    )
    return response


@router.get("/login")
def login_form(runtime: AppRuntime, next: str = PREFIX + "/") -> Response:
    return _login_page(runtime, next)


@router.post("/login")
def login(
    request: Request,
    runtime: AppRuntime,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = PREFIX + "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), csrf_token.encode("utf-8", "surrogatepass")
    ):
        raise PageRefused(
            "The sign-in form had expired or was not sent from this app. Reload it and try again.",
            None,
        )
    throttle: SignInThrottle = request.app.state.signin_throttle
    address = request.client.host if request.client else "unknown"
    wait = throttle.wait_seconds(username, address)
    if wait:
        minutes = max(1, round(wait / 60))
        message = f"Too many failed sign-ins. Try again in {minutes} min."
        return _login_page(runtime, next, message, 429)
    with runtime.factory.begin() as session:
        user = authenticate(session, username, password)
        if user is None:
            throttle.failed(username, address)
            return _login_page(runtime, next, "Wrong username or password.", 401)
        throttle.succeeded(username, address)
        lifetime = timedelta(hours=runtime.settings.session_hours)
        token = start_session(session, user, utcnow(), lifetime)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(runtime),
        path="/",
        max_age=int(lifetime.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=f"{PREFIX}/login")
    return response


@router.post("/logout")
def logout(
    request: Request, runtime: AppRuntime, who: Annotated[Principal, form_role(Role.VIEWER)]
) -> Response:
    with runtime.factory.begin() as session:
        end_session(session, request.cookies.get(COOKIE, ""))
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
