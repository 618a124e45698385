"""The dashboard, the article page, and the delivery and audit logs."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from syndicate import audit, channelhealth, deskcalendar, engagement
from syndicate.activitypub import reactions
from syndicate.feeds.scopes import SITE, document_key
from syndicate.models import (
    Article,
    ChannelState,
    Delivery,
    DeliveryOutcome,
    FeedMembership,
    Post,
    PostStatus,
    utcnow,
)
from syndicate.share.counts import share_counts
from syndicate.web.deps import AppRuntime, DbSession
from syndicate.web.errors import ApiError
from syndicate.web.params import Page
from syndicate.web.ui.session import PREFIX, ViewerPage, notice_for, render
from syndicate.web.ui.views import history, link_card

router = APIRouter(prefix=PREFIX, include_in_schema=False)
LOG_PAGE = 50


@router.get("")
def root() -> Response:
    return RedirectResponse(f"{PREFIX}/", status_code=308)


@router.get("/")
def dashboard(
    request: Request, runtime: AppRuntime, session: DbSession, who: ViewerPage
) -> Response:
    now = utcnow()
    counts = dict(session.execute(select(Post.status, func.count()).group_by(Post.status)).all())
    since = now - timedelta(hours=24)
    failures = list(
        session.scalars(
            select(Delivery)
            .where(
                Delivery.started_at >= since,
                Delivery.outcome.in_([DeliveryOutcome.FAILED, DeliveryOutcome.UNKNOWN]),
            )
            .order_by(Delivery.started_at.desc())
            .limit(20)
        )
    )
    attention = list(
        session.scalars(
            select(ChannelState)
            .where((ChannelState.paused.is_(True)) | (ChannelState.needs_credentials.is_(True)))
            .order_by(ChannelState.name)
        )
    )
    upcoming = list(
        session.scalars(
            select(Post)
            .where(Post.status == PostStatus.APPROVED, Post.scheduled_at > now)
            .order_by(Post.scheduled_at)
            .limit(10)
        )
    )
    return render(
        runtime,
        "review/dashboard.html.j2",
        who,
        counts=counts,
        statuses=list(PostStatus),
        failures=failures,
        attention=attention,
        upcoming=upcoming,
        channels_today=deskcalendar.today(session, runtime.config, now),
        failing_checks=[
            row for row in channelhealth.recorded(session).values() if row.failing_since
        ],
        notice=notice_for(request),
    )


@router.get("/articles/{article_id}")
def article_page(
    article_id: str, runtime: AppRuntime, session: DbSession, who: ViewerPage
) -> Response:
    article = session.get(Article, article_id)
    if article is None:
        raise ApiError(404, f"no article {article_id!r}")
    scopes = session.scalars(
        select(FeedMembership.scope)
        .where(FeedMembership.article_id == article_id)
        .order_by(FeedMembership.scope)
    ).all()
    base = runtime.settings.base_url
    feeds = [
        (
            scope if scope != SITE else "the whole site",
            f"{base}/feeds/{document_key(scope, 'rss.xml')}",
        )
        for scope in scopes
    ]
    posts = sorted(article.posts, key=lambda p: (p.channel, p.sequence))
    return render(
        runtime,
        "review/article.html.j2",
        who,
        article=article,
        active_channels=[c.name for c in runtime.config.active_channels],
        card=link_card(session, article),
        feeds=feeds,
        posts=[(p, history(session, p), engagement.of_post(session, p.id)) for p in posts],
        shares=share_counts(session, article_id),
        fediverse=reactions.of_article(session, article_id),
        fediverse_deliveries=reactions.deliveries_of(session, article_id),
    )


@router.get("/deliveries")
def deliveries(
    runtime: AppRuntime, session: DbSession, who: ViewerPage, page: Page = 1
) -> Response:
    rows = list(
        session.scalars(
            select(Delivery)
            .order_by(Delivery.started_at.desc(), Delivery.id.desc())
            .limit(LOG_PAGE + 1)
            .offset((page - 1) * LOG_PAGE)
        )
    )
    return render(
        runtime,
        "review/deliveries.html.j2",
        who,
        rows=rows[:LOG_PAGE],
        page=page,
        more=len(rows) > LOG_PAGE,
    )


@router.get("/audit")
def audit_log(runtime: AppRuntime, session: DbSession, who: ViewerPage, page: Page = 1) -> Response:
    rows = audit.entries(session, limit=LOG_PAGE + 1, offset=(page - 1) * LOG_PAGE)
    return render(
        runtime,
        "review/audit.html.j2",
        who,
        rows=rows[:LOG_PAGE],
        page=page,
        more=len(rows) > LOG_PAGE,
    )
