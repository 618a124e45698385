"""Readers' share buttons: the snippet, its iframe and JSON variants, the counting redirect,
and the Mastodon server picker. No cookies are set and nothing about the reader is kept."""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from markupsafe import Markup

from syndicate import formtokens
from syndicate.models import Article, ArticleStatus
from syndicate.purging import article_key
from syndicate.runtime import Runtime
from syndicate.share.counts import FirstClicks, count_click, share_counts
from syndicate.share.instances import instance_host
from syndicate.share.links import BUTTONS, ShareLink, mastodon_intent, share_links, shared_text
from syndicate.templating import html_environment
from syndicate.web.auth import Viewer
from syndicate.web.conditional import cached_response
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.edge import edge_headers
from syndicate.web.errors import ApiError

router = APIRouter(tags=["share"])
HTML = "text/html; charset=utf-8"
MAX_AGE = 300
CACHE_CONTROL = f"public, max-age={MAX_AGE}"
# The snippet and its frame load nothing from anywhere but a configured stylesheet.
FRAME_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline' *; base-uri 'none'; form-action 'none'"
)


def _article(session: DbSession, article_id: str) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise ApiError(404, "no such article")
    if article.status == ArticleStatus.UNPUBLISHED:
        raise ApiError(410, "this article was unpublished")
    return article


def _links(runtime: Runtime, article: Article) -> list[ShareLink]:
    share = runtime.config.site.share
    return share_links(
        article, share.buttons, share.labels, runtime.settings.base_url, runtime.templates
    )


def _render(runtime: Runtime, name: str, **context: Any) -> str:
    return html_environment(runtime.html_templates).get_template(name).render(**context)


def _buttons_html(runtime: Runtime, article: Article) -> str:
    share = runtime.config.site.share
    return _render(runtime, "share/buttons.html.j2", share=share, links=_links(runtime, article))


def _cached_html(request: Request, article: Article, html: str, policy: str | None) -> Response:
    body = html.encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    runtime: Runtime = request.app.state.runtime
    headers = edge_headers([article_key(article.id)], runtime.settings.edge_max_age)
    if policy:
        headers["Content-Security-Policy"] = policy
    modified = article.updated_at or article.published_at
    return cached_response(request, body, HTML, etag, modified, CACHE_CONTROL, headers)


@router.api_route("/share/{article_id}/buttons", methods=["GET", "HEAD"])
def buttons(request: Request, article_id: str, session: DbSession, runtime: AppRuntime) -> Response:
    """An HTML snippet of share links to place at the end of the article."""
    article = _article(session, article_id)
    return _cached_html(request, article, _buttons_html(runtime, article), None)


@router.api_route("/share/{article_id}/frame", methods=["GET", "HEAD"])
def frame(request: Request, article_id: str, session: DbSession, runtime: AppRuntime) -> Response:
    """The snippet as a page of its own, for an <iframe>."""
    article = _article(session, article_id)
    page = _render(
        runtime,
        "share/frame.html.j2",
        buttons=Markup(_buttons_html(runtime, article)),
        title=article.title,
        language=article.language or runtime.site(session).language,
    )
    return _cached_html(request, article, page, FRAME_POLICY)


@router.get("/share/{article_id}/links.json")
def links_json(article_id: str, session: DbSession, runtime: AppRuntime) -> JSONResponse:
    """The same links as data, for a CMS that draws its own buttons."""
    article = _article(session, article_id)
    links = [
        {
            "button": link.button,
            "label": link.label,
            "href": link.href,
            "intent": link.intent,
            "text": link.text,
            "url": link.url,
        }
        for link in _links(runtime, article)
    ]
    body = {"article": article.id, "url": article.url, "title": article.title, "links": links}
    return JSONResponse(body, headers={"Cache-Control": f"public, max-age={MAX_AGE}"})


@router.get("/share/{article_id}/go/{button}")
def go(
    request: Request, article_id: str, button: str, session: DbSession, runtime: AppRuntime
) -> Response:
    """Count one use of a button (the first from an address for the article within the hour),
    then send the reader on to the platform's share intent."""
    if button not in BUTTONS or button == "copy":
        raise ApiError(404, f"no share button {button!r}")
    article = _article(session, article_id)
    clicks: FirstClicks = request.app.state.first_clicks
    if clicks.first(request.client.host if request.client else "unknown", article.id):
        count_click(session, article.id, button)
        session.commit()  # counted before the reader is answered, not after
    if button == "mastodon":
        target = f"{runtime.settings.base_url.rstrip('/')}/share/{article.id}/mastodon"
    else:
        target = BUTTONS[button].intent(shared_text(article, BUTTONS[button], runtime.templates))
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex, nofollow",
    }
    return RedirectResponse(target, status_code=303, headers=headers)


def _mastodon_page(
    runtime: Runtime,
    article: Article,
    instance: str = "",
    error: str = "",
    host: str | None = None,
) -> Response:
    shared = shared_text(article, BUTTONS["mastodon"], runtime.templates)
    nonce = secrets.token_urlsafe(16)
    page = _render(
        runtime,
        "share/mastodon.html.j2",
        action=f"{runtime.settings.base_url}/share/{article.id}/mastodon",
        text=shared.text,
        title=article.title,
        language=article.language or runtime.site().language,
        instance=instance.strip()[:100],
        error=error,
        nonce=nonce,
        token=formtokens.issue(runtime.settings.signing_key(), _purpose(article)),
        host=host,
        intent=mastodon_intent(host, shared) if host else "",
    )
    policy = (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; "
        "form-action 'self' https:; base-uri 'none'; frame-ancestors 'none'"
    )
    headers = {"Content-Security-Policy": policy, "Cache-Control": "no-store"}
    return HTMLResponse(page, status_code=400 if error else 200, headers=headers)


def _purpose(article: Article) -> str:
    return f"share-mastodon:{article.id}"


def _not_a_server(typed: str) -> str:
    return f"“{typed.strip()[:100]}” does not look like a server name, such as mastodon.social."


@router.get("/share/{article_id}/mastodon", response_model=None)
def mastodon(
    article_id: str, session: DbSession, runtime: AppRuntime, instance: str | None = None
) -> Response:
    """Ask for the reader's Mastodon server. A server named in the link itself is only offered
    as a link to follow, never redirected to: nobody can send a reader off-site through us."""
    article = _article(session, article_id)
    if instance is None:
        return _mastodon_page(runtime, article)
    host = instance_host(instance)
    if host is None:
        return _mastodon_page(runtime, article, instance, _not_a_server(instance))
    return _mastodon_page(runtime, article, instance, host=host)


@router.post("/share/{article_id}/mastodon", response_model=None)
def mastodon_chosen(
    request: Request,
    article_id: str,
    session: DbSession,
    runtime: AppRuntime,
    instance: Annotated[str, Form(max_length=300)] = "",
    token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """The server the reader typed into our own form: send them to its share page."""
    article = _article(session, article_id)
    host = instance_host(instance)
    if host is None:
        return _mastodon_page(runtime, article, instance, _not_a_server(instance))
    from_our_form = formtokens.valid(runtime.settings.signing_key(), _purpose(article), token)
    if not from_our_form or request.headers.get("Sec-Fetch-Site") == "cross-site":
        return _mastodon_page(runtime, article, instance, host=host)
    shared = shared_text(article, BUTTONS["mastodon"], runtime.templates)
    return RedirectResponse(
        mastodon_intent(host, shared), status_code=303, headers={"Cache-Control": "no-store"}
    )


@router.get("/api/articles/{article_id}/shares", tags=["api"])
def article_shares(article_id: str, session: DbSession, who: Viewer) -> dict[str, Any]:
    """How often readers used each share button on an article."""
    if session.get(Article, article_id) is None:
        raise ApiError(404, "no such article")
    counts = share_counts(session, article_id)
    return {"article": article_id, "total": sum(counts.values()), "buttons": counts}
