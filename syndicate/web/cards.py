"""Card routes: the standalone Open Graph page and the head snippet for the CMS."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from markupsafe import escape

from syndicate.models import Article, ArticleStatus, Card
from syndicate.purging import article_key
from syndicate.runtime import Runtime
from syndicate.web.activitypub import article_answer
from syndicate.web.conditional import cached_response
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.edge import edge_headers
from syndicate.web.errors import ApiError

router = APIRouter()
HTML = "text/html; charset=utf-8"
MAX_AGE = "public, max-age=300"


def _card(session: DbSession, article_id: str) -> Card:
    article = session.get(Article, article_id)
    if article is None:
        raise ApiError(404, "no such article")
    if article.status == ArticleStatus.UNPUBLISHED:
        raise ApiError(410, "this article was unpublished")
    card = session.get(Card, article_id)
    if card is None:
        raise ApiError(404, "this card has not been built yet")
    return card


# Link-preview crawlers read the card; people are sent on to the article itself.
CRAWLERS = re.compile(
    r"bot|crawler|spider|facebookexternalhit|facebookcatalog|embedly|slack|discord|telegram|"
    r"whatsapp|mastodon|bluesky|cardyb|skype|vkshare|pinterest|redditbot|linkedin|preview",
    re.IGNORECASE,
)


def is_crawler(user_agent: str) -> bool:
    return not user_agent or bool(CRAWLERS.search(user_agent))


def wants_activity(accept: str) -> bool:
    """Whether the client asks for ActivityStreams (a fediverse server resolving the link)."""
    lowered = accept.lower()
    return "application/activity+json" in lowered or (
        "application/ld+json" in lowered and "activitystreams" in lowered
    )


@router.api_route("/cards/{article_id}", methods=["GET", "HEAD"])
def card_page(
    request: Request, article_id: str, session: DbSession, runtime: AppRuntime
) -> Response:
    if wants_activity(request.headers.get("Accept", "")):
        answer = article_answer(runtime, article_id)  # the article as the fediverse has it
        answer.headers["Vary"] = "Accept"
        return answer
    card = _card(session, article_id)
    page, etag = card.page_html, card.etag
    if not is_crawler(request.headers.get("User-Agent", "")):
        article_url = session.get_one(Article, article_id).url
        refresh = f'<meta http-equiv="refresh" content="0; url={escape(article_url)}">\n'
        page, etag = page.replace("</head>", refresh + "</head>", 1), etag[:-1] + '-go"'
    response = cached_response(
        request, page.encode(), HTML, etag, card.updated_at, MAX_AGE, for_edges(request, card)
    )
    response.headers["Vary"] = "User-Agent, Accept"
    return response


@router.api_route("/cards/{article_id}/image-{image_hash}.{extension}", methods=["GET", "HEAD"])
def card_image(
    request: Request, article_id: str, image_hash: str, extension: str, session: DbSession
) -> Response:
    """The share image, at a URL that changes whenever the image does: cache it for ever."""
    card = _card(session, article_id)
    expected = "png" if card.image_type == "image/png" else "jpg"
    if not card.image or card.image_hash != image_hash or extension != expected:
        raise ApiError(404, "no such image; the card names the current one")
    etag = f'"{card.image_hash}"'
    forever = "public, max-age=31536000, immutable"
    edges = for_edges(request, card)
    return cached_response(
        request, card.image, card.image_type, etag, card.updated_at, forever, edges
    )


@router.api_route("/cards/{article_id}/meta", methods=["GET", "HEAD"])
def card_meta(request: Request, article_id: str, session: DbSession) -> Response:
    card = _card(session, article_id)
    etag = card.etag[:-1] + '-meta"'
    meta = card.meta_html.encode()
    return cached_response(
        request, meta, HTML, etag, card.updated_at, MAX_AGE, for_edges(request, card)
    )


def for_edges(request: Request, card: Card) -> dict[str, str]:
    runtime: Runtime = request.app.state.runtime
    return edge_headers([article_key(card.article_id)], runtime.settings.edge_max_age)
