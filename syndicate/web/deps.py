"""Typed dependencies: the runtime, a database session, the enqueuer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from syndicate.db import session_scope
from syndicate.runtime import Runtime
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


AppRuntime = Annotated[Runtime, Depends(_runtime)]
DbSession = Annotated[Session, Depends(_session)]
TaskQueue = Annotated[Enqueuer, Depends(_enqueuer)]
