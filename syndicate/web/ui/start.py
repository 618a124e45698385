"""Getting started, for the first administrator: a checklist that ticks itself as things
happen (channels configured, the CMS sending, a test article through the pipeline), with the
webhook's address, its secret shown on request, and a ready-to-paste request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from syndicate import sample, sitedetails
from syndicate.config import UNTITLED
from syndicate.models import Article, ArticleStatus, Card, InboundDelivery, Role, utcnow
from syndicate.preview import preview
from syndicate.web.auth import Principal
from syndicate.web.deps import AppRuntime, DbSession, TaskQueue
from syndicate.web.ui.session import (
    PREFIX,
    AdminForm,
    AdminPage,
    Submitted,
    back_to,
    form_with,
    notice_for,
    render,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _page(
    request: Request, runtime: AppRuntime, session: DbSession, who: Principal, secret: str = ""
) -> Response:
    test = session.get(Article, sample.SAMPLE_ID)
    live = test is not None and test.status == ArticleStatus.PUBLISHED
    deliveries = session.scalar(
        select(func.count())
        .select_from(InboundDelivery)
        .where(InboundDelivery.article_id != sample.SAMPLE_ID)
    )
    previews = (
        [(c, preview(test, c, runtime.templates)) for c in runtime.config.active_channels]
        if test is not None and live
        else []
    )
    base = runtime.settings.base_url
    site = runtime.site(session)
    return render(
        runtime,
        "review/start.html.j2",
        who,
        notice=notice_for(request),
        base=base,
        channels=runtime.config.active_channels,
        cms_sent=bool(deliveries),
        test=test if live else None,
        test_feeds_done=bool(test and test.feeds_version >= test.version),
        test_card=session.get(Card, sample.SAMPLE_ID) is not None if live else False,
        previews=previews,
        secret=secret,
        config_path=runtime.settings.config,
        site=site,
        site_named=site.title != UNTITLED,
        fixed=sitedetails.fixed_by_file(runtime.config.site),
        language_pattern=sitedetails.LANGUAGE_TAG,
    )


@router.get("/start")
def start(request: Request, runtime: AppRuntime, session: DbSession, who: AdminPage) -> Response:
    return _page(request, runtime, session, who)


@router.post("/start/secret")
def reveal_secret(
    request: Request, runtime: AppRuntime, session: DbSession, who: AdminForm
) -> Response:
    """The webhook secret, shown in this one answer only (never stored in a page)."""
    secrets = runtime.settings.webhook_secret_list()
    return _page(request, runtime, session, who, secrets[0].decode() if secrets else "")


SiteForm = Annotated[
    Submitted[sitedetails.SiteDetailsForm], form_with(Role.ADMIN, sitedetails.SiteDetailsForm)
]


@router.post("/start/site")
def save_site(
    runtime: AppRuntime, session: DbSession, queue: TaskQueue, form: SiteForm
) -> Response:
    """The details the site file leaves open; every feed is rendered again with them."""
    changed = sitedetails.save(session, runtime.config.site, form.fields, form.who.name, utcnow())
    session.commit()
    if changed:
        queue.site_changed()
    return back_to("/start", "site-saved")


@router.post("/start/test-article")
def send_test_article(runtime: AppRuntime, queue: TaskQueue, who: AdminForm) -> Response:
    site = runtime.site()
    if sample.send_sample(runtime.factory, runtime.settings.base_url, site.title, utcnow()):
        queue.articles_changed([(sample.SAMPLE_ID, None)])
    return back_to("/start", "test-sent")


@router.post("/start/test-article/remove")
def remove_test_article(runtime: AppRuntime, queue: TaskQueue, who: AdminForm) -> Response:
    if sample.remove_sample(runtime.factory, utcnow()):
        queue.articles_changed([(sample.SAMPLE_ID, None)])
    return back_to("/start", "test-removed")
