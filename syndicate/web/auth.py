"""Who is asking: a bearer token (the operator's, or a user's API token) or a signed-in
browser session; what their role allows; and the CSRF check for sessions."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from syndicate.models import Role, utcnow
from syndicate.runtime import Runtime
from syndicate.signin import find_session, token_user
from syndicate.web.deps import AppRuntime
from syndicate.web.errors import ApiError

COOKIE = "syndicate_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
OPERATOR = "operator"  # the name audit entries give the SYNDICATE_API_TOKEN


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    timezone: str = "UTC"
    # Set for browser sessions only: the token every form and script must echo back.
    csrf_token: str | None = None

    def allows(self, role: Role) -> bool:
        return self.role.allows(role)


def _bearer(request: Request, runtime: Runtime, header: str) -> Principal:
    challenge = {"WWW-Authenticate": "Bearer"}
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "missing bearer token", headers=challenge)
    operator = runtime.settings.api_token.get_secret_value()
    if operator and hmac.compare_digest(token.encode(), operator.encode()):
        return Principal(OPERATOR, Role.ADMIN)
    with runtime.factory() as session:
        user = token_user(session, token)
        if user is None:
            raise ApiError(401, "invalid or revoked bearer token", headers=challenge)
        return Principal(user.username, Role(user.role), user.timezone)


def principal(request: Request, runtime: Runtime) -> Principal | None:
    """The caller, or None for an anonymous request. A bad bearer token is refused outright."""
    header = request.headers.get("Authorization")
    if header:
        return _bearer(request, runtime, header)
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    with runtime.factory() as session:
        found = find_session(session, cookie, utcnow())
        if found is None:
            return None
        user = found.user
        return Principal(user.username, Role(user.role), user.timezone, found.csrf_token)


def csrf_ok(who: Principal, presented: str | None) -> bool:
    if who.csrf_token is None:  # bearer tokens are not sent by browsers on their own
        return True
    return bool(presented) and hmac.compare_digest(
        str(presented).encode("utf-8", "surrogatepass"), who.csrf_token.encode()
    )


def api_role(role: Role) -> Any:
    """A dependency: the caller must be signed in with at least `role`."""

    def check(request: Request, runtime: AppRuntime) -> Principal:
        who = principal(request, runtime)
        if who is None:
            raise ApiError(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
        if request.method not in SAFE_METHODS and not csrf_ok(
            who, request.headers.get(CSRF_HEADER)
        ):
            raise ApiError(403, f"missing or wrong {CSRF_HEADER} header")
        if not who.allows(role):
            raise ApiError(403, f"this needs the {role} role; you are {who.role}")
        return who

    return Depends(check)


Viewer = Annotated[Principal, api_role(Role.VIEWER)]
Editor = Annotated[Principal, api_role(Role.EDITOR)]
Approver = Annotated[Principal, api_role(Role.APPROVER)]
Admin = Annotated[Principal, api_role(Role.ADMIN)]
