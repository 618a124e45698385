"""Typed dependencies: the runtime, a database session, the enqueuer, the API caller."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from syndicate.db import session_scope
from syndicate.runtime import Runtime
from syndicate.web.errors import ApiError
from workers.enqueue import Enqueuer


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _enqueuer(request: Request) -> Enqueuer:
    enqueuer: Enqueuer = request.app.state.enqueuer
    return enqueuer


def _session(runtime: Annotated[Runtime, Depends(_runtime)]) -> Iterator[Session]:
    with session_scope(runtime.factory) as session:
        yield session


def _require_token(request: Request, runtime: Annotated[Runtime, Depends(_runtime)]) -> None:
    expected = runtime.settings.api_token.get_secret_value()
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    challenge = {"WWW-Authenticate": "Bearer"}
    if not expected:
        raise ApiError(401, "the API is disabled: no API token is configured", headers=challenge)
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "missing bearer token", headers=challenge)
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise ApiError(401, "invalid bearer token", headers=challenge)


AppRuntime = Annotated[Runtime, Depends(_runtime)]
DbSession = Annotated[Session, Depends(_session)]
TaskQueue = Annotated[Enqueuer, Depends(_enqueuer)]
RequireToken = Depends(_require_token)
