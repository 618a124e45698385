"""POST /hooks/{cms}: verify, validate, store, answer, and only then enqueue."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from syndicate import signatures
from syndicate.cms import CMSS, ArticleEvent, ArticleIn, InvalidPayload, unknown_channels
from syndicate.cms.adapter import Verifier
from syndicate.runtime import Runtime
from syndicate.web.errors import ApiError
from syndicate.web.ingest import IngestWriter

log = logging.getLogger(__name__)
router = APIRouter()


def decode_json(body: bytes, content_type: str) -> object:
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError(415, "the body must be sent as Content-Type: application/json")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        detail = [{"field": "body", "message": str(exc)}]
        raise ApiError(422, "the body is not valid UTF-8", detail) from None
    except (ValueError, RecursionError) as exc:  # also an integer too long to convert
        raise ApiError(
            422, "the body is not valid JSON", [{"field": "body", "message": str(exc)[:200]}]
        ) from None


async def accept(request: Request, event: ArticleEvent) -> JSONResponse:
    """Store the event and answer; the pipeline is enqueued only after the commit."""
    writer: IngestWriter = request.app.state.ingest
    receipt = await writer.submit(event)
    log.info(
        "webhook %s %s: article %s %s",
        event.event,
        event.delivery_id,
        event.article.id,
        receipt.body["status"],
    )
    return JSONResponse(receipt.body, status_code=receipt.status_code)


def parsed(parse: Callable[[], ArticleEvent]) -> ArticleEvent:
    try:
        return parse()
    except InvalidPayload as exc:
        raise ApiError(422, "the payload does not match the webhook contract", exc.errors) from None


async def signed_json(request: Request, verify: Verifier, header: str) -> tuple[bytes, object]:
    """The raw body and its JSON, once the size and the signature are right."""
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    body = await request.body()  # within SYNDICATE_MAX_BODY_BYTES (see web.limits)
    try:
        verify(
            request.headers.get(header),
            body,
            settings.webhook_secret_list(),
            settings.webhook_tolerance_seconds,
        )
    except signatures.SignatureError as exc:
        raise ApiError(401, str(exc)) from None
    return body, decode_json(body, request.headers.get("Content-Type", ""))


@router.post("/hooks/{cms}", status_code=202)
async def receive_webhook(request: Request, cms: str) -> JSONResponse:
    """A CMS's webhook: `articles` for the generic contract (signed with Syndicate-Signature),
    `ghost` for Ghost's own post webhooks (X-Ghost-Signature; answered well inside Ghost's
    2-second timeout, since all the work happens after the answer), `wordpress` for the post
    object the plugin in integrations/wordpress sends (Syndicate-Signature)."""
    adapter = CMSS.get(cms)
    if adapter is None:
        raise ApiError(404, f"no webhook for {cms!r}; there are: {', '.join(sorted(CMSS))}")
    body, data = await signed_json(request, adapter.verify, adapter.signature_header)
    if data == {"syndicate_ping": True}:  # a CMS plugin checking its address and secret
        return JSONResponse({"status": "pong", "cms": cms}, status_code=200)
    event = parsed(lambda: adapter.parse(data, body))
    if isinstance(event.article, ArticleIn):
        runtime: Runtime = request.app.state.runtime
        known = {c.name for c in runtime.config.channels}
        unknown = unknown_channels(event.article, known)
        if unknown:
            raise ApiError(422, "the syndication object names channels that do not exist", unknown)
    return await accept(request, event)
