"""The fediverse's view of the newsroom: WebFinger, host-meta and NodeInfo for discovery, the
actors' documents and collections as `application/activity+json`, and their inboxes (one
shared, one per actor), which take only activities signed by the actors they name."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from syndicate.activitypub import articles as ap_articles
from syndicate.activitypub import discovery, service
from syndicate.activitypub.actors import ACTIVITY_JSON, AS_CONTEXT, document, key_pair
from syndicate.activitypub.inbox import MAX_ACTIVITY_BYTES, Refused
from syndicate.activitypub.signatures import Incoming
from syndicate.models import ApFollower, ApObject, Article, Card, utcnow
from syndicate.runtime import Runtime
from syndicate.web.deps import AppRuntime, TaskQueue
from syndicate.web.errors import ApiError

router = APIRouter(include_in_schema=False)
OUTBOX_PAGE = 20


def _json(body: dict[str, Any], media_type: str = ACTIVITY_JSON, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False).encode(),
        status_code=status,
        media_type=media_type,
        headers={"Cache-Control": "max-age=300", "Access-Control-Allow-Origin": "*"},
    )


def _actor(runtime: Runtime, name: str) -> str:
    if name not in service.actors(runtime):
        raise ApiError(404, f"no actor {name!r}")
    return name


@router.get("/.well-known/webfinger")
def webfinger(request: Request, runtime: AppRuntime) -> Response:
    resource = request.query_params.get("resource", "")[:600]
    if not resource:
        raise ApiError(400, "resource is required: acct:name@host or an actor's address")
    site = service.site_of(runtime)
    found = discovery.webfinger(
        resource,
        service.actors(runtime),
        service.addresses(runtime),
        site.link or runtime.settings.base_url,
    )
    if found is None:
        raise ApiError(404, f"no actor is {resource!r}")
    return _json(found, discovery.JRD)


@router.get("/.well-known/host-meta")
def host_meta(runtime: AppRuntime) -> Response:
    return Response(discovery.host_meta(service.addresses(runtime)), media_type=discovery.XRD)


@router.get("/.well-known/nodeinfo")
def nodeinfo_links(runtime: AppRuntime) -> Response:
    return _json(discovery.nodeinfo_links(service.addresses(runtime)), "application/json")


@router.get("/nodeinfo/2.1")
def nodeinfo(runtime: AppRuntime) -> Response:
    with runtime.factory() as session:
        articles = session.scalar(select(func.count()).select_from(Article)) or 0
    site = service.site_of(runtime)
    return _json(
        discovery.nodeinfo(len(service.actors(runtime)), articles, site.title),
        discovery.NODEINFO_TYPE,
    )


@router.get("/ap/actors/{name}")
def actor(name: str, runtime: AppRuntime) -> Response:
    name = _actor(runtime, name)
    with runtime.factory.begin() as session:
        public_key = key_pair(session, name).public_key
    site = service.site_of(runtime)
    found = document(service.actors(runtime)[name], site, service.addresses(runtime), public_key)
    return _json(found)


def _collection(runtime: Runtime, name: str, part: str, total: int) -> Response:
    me = service.addresses(runtime).actor(name)
    return _json(
        {
            "@context": AS_CONTEXT,
            "id": f"{me}/{part}",
            "type": "OrderedCollection",
            "totalItems": total,
            "orderedItems": [],
        }
    )


@router.get("/ap/articles/{article_id}")
def article(article_id: str, runtime: AppRuntime) -> Response:
    """An article as the fediverse has it; a Tombstone (410) once it was taken back."""
    return article_answer(runtime, article_id)


def article_answer(runtime: Runtime, article_id: str) -> Response:
    if not service.actors(runtime):
        raise ApiError(404, "this site is not on the fediverse")
    where, site = service.addresses(runtime), service.site_of(runtime)
    with runtime.factory() as session:
        shared = session.get(ApObject, article_id)
        found = session.get(Article, article_id)
        if shared is None or found is None:
            raise ApiError(404, f"no article {article_id!r} on the fediverse")
        if shared.state == "deleted":
            return _json(ap_articles.tombstone(where, article_id, shared.updated_at), status=410)
        return _json(ap_articles.article_object(found, site, where, session.get(Card, article_id)))


@router.get("/ap/actors/{name}/outbox")
def outbox(name: str, request: Request, runtime: AppRuntime) -> Response:
    """The actor's articles on the fediverse, newest first, OUTBOX_PAGE to a page."""
    name = _actor(runtime, name)
    where, site = service.addresses(runtime), service.site_of(runtime)
    me = f"{where.actor(name)}/outbox"
    with runtime.factory() as session:
        shared = [
            row
            for row in session.scalars(
                select(ApObject)
                .where(ApObject.state == "published")
                .order_by(ApObject.updated_at.desc())
            )
            if name in row.actors
        ]
        page_text = request.query_params.get("page", "")
        if not page_text.isdigit() or int(page_text) < 1:
            whole: dict[str, Any] = {"@context": AS_CONTEXT, "id": me, "type": "OrderedCollection"}
            whole["totalItems"] = len(shared)
            if shared:
                whole["first"] = f"{me}?page=1"
            return _json(whole)
        page = int(page_text)
        chosen = shared[(page - 1) * OUTBOX_PAGE : page * OUTBOX_PAGE]
        items = []
        for row in chosen:
            found = session.get(Article, row.article_id)
            if found is None:
                continue
            shown = ap_articles.article_object(
                found, site, where, session.get(Card, row.article_id)
            )
            items.append(
                {
                    "id": f"{shown['id']}#create-{name}",
                    "type": "Create",
                    "actor": where.actor(name),
                    "published": shown["published"],
                    "to": shown["to"],
                    "object": shown,
                }
            )
    body: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": f"{me}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": me,
        "orderedItems": items,
    }
    if len(shared) > page * OUTBOX_PAGE:
        body["next"] = f"{me}?page={page + 1}"
    return _json(body)


@router.get("/ap/actors/{name}/followers")
def followers(name: str, runtime: AppRuntime) -> Response:
    """How many follow the actor; who they are is theirs to tell."""
    name = _actor(runtime, name)
    with runtime.factory() as session:
        total = session.scalar(
            select(func.count()).where(ApFollower.actor == name, ApFollower.status == "accepted")
        )
    return _collection(runtime, name, "followers", total or 0)


@router.get("/ap/actors/{name}/{part}")
def empty_collection(name: str, part: str, runtime: AppRuntime) -> Response:
    if part not in ("following", "featured"):
        raise ApiError(404, "no such collection")
    return _collection(runtime, _actor(runtime, name), part, 0)


async def _receive(request: Request, runtime: Runtime, queue: Any) -> Response:
    if not service.actors(runtime):
        raise ApiError(404, "this site is not on the fediverse")
    body = await request.body()
    if len(body) > MAX_ACTIVITY_BYTES:
        raise ApiError(413, f"an activity is at most {MAX_ACTIVITY_BYTES} bytes")
    public = f"{runtime.settings.base_url.rstrip('/')}{request.url.path}"
    headers = {k.lower(): v for k, v in request.headers.items()}
    incoming = Incoming(request.method, public, headers, body)
    state = request.app.state
    inbox = await run_in_threadpool(service.inbox, runtime, state.key_slots, state.inbox_budget)
    try:
        handled = await run_in_threadpool(inbox.receive, incoming, utcnow())
    except Refused as refused:
        wait = refused.retry_after
        retry = None if wait is None else {"Retry-After": str(wait)}
        raise ApiError(refused.status, refused.message, headers=retry) from None
    for delivery_id in handled.deliveries:
        queue.send("syndicate.ap_deliver", delivery_id)
    return _json({"status": handled.what}, "application/json", 202)


@router.post("/ap/inbox")
async def shared_inbox(request: Request, runtime: AppRuntime, queue: TaskQueue) -> Response:
    return await _receive(request, runtime, queue)


@router.post("/ap/actors/{name}/inbox")
async def actor_inbox(
    name: str, request: Request, runtime: AppRuntime, queue: TaskQueue
) -> Response:
    _actor(runtime, name)
    return await _receive(request, runtime, queue)
