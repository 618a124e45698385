"""Every error answer is JSON that says what is wrong: `{"error", "message", "errors"?}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from syndicate.secretbox import NoSecretKey

log = logging.getLogger(__name__)

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    408: "request_timeout",
    415: "unsupported_media_type",
    422: "invalid_payload",
    429: "too_many_requests",
    431: "request_header_fields_too_large",
    500: "internal_error",
    503: "unavailable",
}


def error_response(
    status: int,
    message: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"error": ERROR_CODES.get(status, "error"), "message": message}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, headers=headers)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors, headers


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message, exc.errors, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, str(exc.detail), headers=headers)

    @app.exception_handler(DataError)
    async def _bad_value(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the request carried (a NUL byte, a number out of range).
        log.info("refused a value on %s %s: %s", request.method, request.url.path, exc.orig)
        return error_response(422, "a value in the request cannot be stored or looked up")

    @app.exception_handler(OperationalError)
    async def _database_down(request: Request, exc: OperationalError) -> JSONResponse:
        # Nothing was stored: the sender should try again shortly (CMSs retry on 503).
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
        return error_response(
            503,
            "the database is unavailable; nothing was stored, try again shortly",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(NoSecretKey)
    async def _no_secret_key(request: Request, exc: NoSecretKey) -> JSONResponse:
        # Something the service must keep sealed was to be stored, and it has no key.
        log.error("no SYNDICATE_SECRET_KEY on %s %s", request.method, request.url.path)
        return error_response(503, f"the service cannot keep credentials: {exc}")

    @app.exception_handler(StatementError)
    async def _sealing_failed(request: Request, exc: StatementError) -> JSONResponse:
        if isinstance(exc.orig, NoSecretKey):
            return await _no_secret_key(request, exc.orig)
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug: logged with its traceback (and the request id), answered without details.
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal error; it has been logged")

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        return error_response(422, "the request is not valid", errors)
