"""Card routes: the standalone Open Graph page and the head snippet for the CMS."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from syndicate.models import Article, ArticleStatus, Card
from syndicate.web.conditional import cached_response
from syndicate.web.deps import DbSession
from syndicate.web.errors import ApiError

router = APIRouter()
HTML = "text/html; charset=utf-8"


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


@router.api_route("/cards/{article_id}", methods=["GET", "HEAD"])
def card_page(request: Request, article_id: str, session: DbSession) -> Response:
    card = _card(session, article_id)
    return cached_response(request, card.page_html.encode(), HTML, card.etag, card.updated_at, 300)


@router.api_route("/cards/{article_id}/meta", methods=["GET", "HEAD"])
def card_meta(request: Request, article_id: str, session: DbSession) -> Response:
    card = _card(session, article_id)
    etag = card.etag[:-1] + '-meta"'
    return cached_response(request, card.meta_html.encode(), HTML, etag, card.updated_at, 300)
