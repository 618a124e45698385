"""create_app(runtime) -> FastAPI."""

from __future__ import annotations

import hmac
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from syndicate import __version__, health, metrics
from syndicate.activitypub.bounds import InboxBudget
from syndicate.activitypub.remote import FetchSlots
from syndicate.metrics import BufferedCounter
from syndicate.redis_keys import RedisKeys, connect
from syndicate.runtime import Runtime
from syndicate.settings import Settings
from syndicate.share.counts import FirstClicks
from syndicate.throttle import SignInThrottle
from syndicate.web import (
    activitypub,
    api,
    cards,
    channelapi,
    deskapi,
    engagementapi,
    feeds,
    home,
    newposts,
    share,
    sitemaps,
    webhooks,
)
from syndicate.web.counting import CountWebhooks
from syndicate.web.errors import ApiError, install_handlers
from syndicate.web.feedanswers import FeedResponder
from syndicate.web.feedcache import FeedCache
from syndicate.web.feedroute import FeedRoute
from syndicate.web.ingest import IngestWriter
from syndicate.web.limits import RequestLimits
from syndicate.web.requestid import RequestId
from syndicate.web.ui import (
    admin,
    desk,
    extra,
    pages,
    posts,
    rules,
    session,
    setup,
    signin,
    start,
)
from syndicate.web.ui import connect as connecting
from syndicate.web.ui import fediverse as fediverse_pages
from workers.app import QUEUES, make_celery
from workers.enqueue import Enqueuer


class SyndicateApp(FastAPI):
    """The app, with requests for stored feeds answered before any of its own layers."""

    feed_route: FeedRoute | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.feed_route is None or not await self.feed_route.answered(scope, receive, send):
            await super().__call__(scope, receive, send)


def create_app(runtime: Runtime, enqueuer: Enqueuer | None = None) -> FastAPI:
    docs = runtime.settings.public_docs
    app = SyndicateApp(
        title="Syndicate",
        version=__version__,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.runtime = runtime
    app.state.enqueuer = enqueuer or Enqueuer(make_celery(runtime.settings))
    app.state.ingest = IngestWriter(runtime.factory, app.state.enqueuer.articles_changed)
    settings = runtime.settings
    app.state.feed_cache = FeedCache(runtime.factory, settings.feed_cache_seconds)
    keys = RedisKeys(settings.redis_key_prefix)
    app.state.feed_cache.listen(settings.broker_url, keys.feeds_changed)
    broker = connect(settings.broker_url)
    app.state.signin_throttle = SignInThrottle(broker, keys)
    app.state.first_clicks = FirstClicks(broker, keys, settings.signing_key())
    app.state.inbox_budget = InboxBudget(
        broker, keys, settings.activitypub_inbox_per_server_per_minute
    )
    app.state.key_slots = FetchSlots()
    app.add_middleware(CountWebhooks, counter=BufferedCounter(broker, keys.webhook_counts))
    app.add_middleware(RequestId)
    app.state.feed_responder = FeedResponder(
        app.state.feed_cache,
        base_url=settings.base_url,
        hubs=runtime.config.site.websub_hubs,
        max_age=settings.feed_max_age,
        counter=BufferedCounter(broker, keys.feed_counts),
        edge_max_age=settings.edge_max_age,
    )
    app.add_middleware(
        RequestLimits,
        max_head_bytes=settings.http_max_header_bytes,
        max_body_bytes=settings.max_body_bytes,
    )
    app.feed_route = FeedRoute(app.state.feed_responder, settings.http_max_header_bytes)
    install_handlers(app)
    routers = [home, setup, webhooks, feeds, sitemaps, cards, share, api, signin, pages, posts]
    routers += [newposts, deskapi, channelapi, engagementapi, admin, connecting, rules, desk]
    routers += [extra, start, activitypub, fediverse_pages]
    for module in routers:
        app.include_router(module.router)
    session.install(app, runtime)
    static = Path(__file__).parent / "static"
    app.mount(f"{session.PREFIX}/static", StaticFiles(directory=static), name="review-static")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> PlainTextResponse:
        """Prometheus metrics for the whole installation (text exposition format 0.0.4)."""
        if not settings.metrics_are_public:
            require_metrics_token(request, settings)
        with runtime.factory() as session:
            body = metrics.render(session, broker, keys, QUEUES)
        return PlainTextResponse(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    def health_checks() -> list[health.Check]:
        return [
            health.check_database(runtime.engine),
            health.check_broker(broker),
            health.check_worker(broker, keys, max(60.0, 3 * settings.dispatch_interval_seconds)),
        ]

    app.state.health_checks = health_checks

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        """The database and broker answer and a worker checked in within three sweeps."""
        checks = health_checks()
        ready = all(c.ok for c in checks)
        body: dict[str, object] = {
            "status": "ready" if ready else "not ready",
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
        }
        if not ready:
            failing = "; ".join(f"{c.name}: {c.detail}" for c in checks if not c.ok)
            body["message"] = f"not ready: {failing}"
        return JSONResponse(body, status_code=200 if ready else 503)

    return app


def require_metrics_token(request: Request, settings: Settings) -> None:
    """The metrics token or the operator's API token, as a bearer token."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    accepted = [settings.metrics_token.get_secret_value(), settings.api_token.get_secret_value()]
    presented = given.strip().encode("utf-8", "surrogatepass")
    if scheme.lower() != "bearer" or not any(
        token and hmac.compare_digest(presented, token.encode()) for token in accepted
    ):
        raise ApiError(
            401,
            "metrics need SYNDICATE_METRICS_TOKEN (or the API token) as a bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


def app_from_environment() -> FastAPI:
    """The ASGI entry point for uvicorn: `syndicate.web.app:app_from_environment --factory`."""
    from syndicate import logs
    from syndicate.heap import freeze_startup_heap
    from syndicate.runtime import get_runtime
    from syndicate.settings import get_settings

    logs.configure(get_settings().log_format, get_settings().log_level)
    app = create_app(get_runtime())
    freeze_startup_heap()
    return app
