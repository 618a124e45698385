"""Thin tasks: load ids, call one domain function, turn the outcome into Celery behaviour."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from celery import Task
from sqlalchemy.exc import IntegrityError, OperationalError

from syndicate import (
    cardchecks,
    cards,
    channelhealth,
    delivery,
    engagement,
    health,
    lifecycle,
    logs,
    notifications,
    posts,
    purging,
    sitedetails,
    sweeper,
)
from syndicate.activitypub import deliveries as ap_deliveries
from syndicate.activitypub import service as activitypub_service
from syndicate.db import session_scope
from syndicate.feeds import websub
from syndicate.feeds.announcements import announce_change
from syndicate.feeds.build import rebuild_for_article
from syndicate.http import make_session
from syndicate.models import utcnow
from syndicate.platforms.activitypub import Outbox
from syndicate.runtime import Runtime, get_runtime
from workers import context  # also connects the logging signals
from workers.app import celery_app
from workers.enqueue import Enqueuer

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
enqueue = Enqueuer(celery_app)


def database_task(name: str) -> Callable[[Callable[P, R]], Task[P, R]]:
    """A task retried after a deadlock or a dropped database connection: every task is
    idempotent, so another try is always safe."""
    return celery_app.task(
        name=name,
        autoretry_for=(OperationalError,),
        retry_backoff=True,
        retry_backoff_max=60,
        max_retries=8,
    )


def bound_database_task(
    name: str,
) -> Callable[[Callable[Concatenate[Task[P, R], P], R]], Task[P, R]]:
    """The same, for a task that decides its own retries as well (it gets `self`)."""
    return celery_app.task(
        name=name,
        bind=True,
        autoretry_for=(OperationalError,),
        retry_backoff=True,
        retry_backoff_max=60,
        max_retries=8,
    )


@celery_app.task(name="syndicate.article_changed")
def article_changed(article_id: str) -> None:
    """Fan one article change out into its feed, card and post tasks, which run in parallel."""
    if not enqueue.article_tasks(article_id):
        raise RuntimeError("the broker refused the article tasks; the sweeper will find them")


@celery_app.task(name="syndicate.articles_changed")
def articles_changed(changes: list[list[str | None]]) -> None:
    """The tasks of the articles a batch of webhooks changed, as web processes of earlier
    versions ask for them (now they send them themselves): kept while a deployment mixes
    versions."""
    if not enqueue.articles_changed(
        [(str(article_id), request_id) for article_id, request_id in changes]
    ):
        raise RuntimeError("the broker refused the articles' tasks; the sweeper will find them")


@database_task("syndicate.rebuild_feeds")
def rebuild_feeds(article_id: str, *along: str) -> None:
    """The article's feeds, and those of the articles `along` with it in a batch."""
    rt = get_runtime()

    def current_stored(feed_urls: list[str]) -> None:
        log.info(
            "feeds for article %s and %d along: %d changed", article_id, len(along), len(feed_urls)
        )
        announce_feeds(feed_urls)

    rebuild_for_article(
        rt.factory,
        article_id,
        rt.site,
        rt.feed_settings,
        utcnow(),
        current_stored=current_stored,
        along=along,
    )


@database_task("syndicate.site_changed")
def site_changed() -> None:
    """Every feed again, as the site's details changed."""
    rt = get_runtime()
    rebuilt = sitedetails.rebuild_feeds(rt.factory, rt.config.site, rt.feed_settings)
    if rebuilt is not None:
        log.info("site changed: %d feed documents changed", len(rebuilt.feed_urls))
        announce_feeds(rebuilt.feed_urls)


def announce_feeds(feed_urls: list[str]) -> None:
    """Tell web processes, edge caches and WebSub hubs that these feeds changed."""
    if not feed_urls:
        return
    rt = get_runtime()
    announce_change(context.redis_client(), context.redis_keys().feeds_changed)
    prefix = f"{rt.settings.base_url}/feeds/"
    purge_edges(purging.keys_for_documents(u.removeprefix(prefix) for u in feed_urls))
    # Web processes may serve their copy of a feed for feed_cache_seconds: ping once every
    # copy has expired, so the hub fetches the new feed and not the old one.
    countdown = rt.settings.feed_cache_seconds + 0.5
    for hub in rt.config.site.websub_hubs:
        for url in feed_urls:
            websub_ping.apply_async((hub, url), countdown=countdown)


def purge_edges(keys: list[str]) -> None:
    """Purge `keys` from every edge cache, trying each once before returning; a purge that
    failed is tried again later."""
    rt = get_runtime()
    for purge_id, outcome in purging.purge_now(rt.factory, rt.config, keys, utcnow()):
        if outcome.retry_in is not None:
            purge.apply_async((purge_id,), countdown=outcome.retry_in)


@database_task("syndicate.purge")
def purge(purge_id: int) -> None:
    rt = get_runtime()
    outcome = purging.attempt(rt.factory, purge_id, rt.config)
    log.info("purge %s: %s", purge_id, outcome.status)
    if outcome.retry_in is not None:
        purge.apply_async((purge_id,), countdown=outcome.retry_in)


@celery_app.task(name="syndicate.websub_ping", bind=True, max_retries=10)
def websub_ping(self: Task[Any, Any], hub: str, topic: str) -> None:
    try:
        websub.publish(make_session(), hub, topic)
    except websub.PingFailed as exc:
        log.warning("WebSub ping to %s for %s failed: %s", hub, topic, exc)
        raise self.retry(
            countdown=get_runtime().delivery_policy.backoff(self.request.retries), exc=exc
        ) from exc


@database_task("syndicate.build_card")
def build_card(article_id: str) -> None:
    card_maker(get_runtime())(article_id)


@database_task("syndicate.build_cards")
def build_cards(changes: list[list[str | None]]) -> None:
    """The cards of the articles a batch of webhooks changed, one after another."""
    for_each_article(changes, card_maker(get_runtime()))


def card_maker(rt: Runtime) -> Callable[[str], None]:
    """What makes an article's card, with the image rules and the channels read once."""
    policy = cards.ImagePolicy(
        rt.settings.image_fetch_allow_private,
        rt.settings.image_fetch_max_bytes,
        rt.settings.image_fetch_allowed_hosts(),
    )
    crawled = cardchecks.crawled_channels(rt.config)

    def make_card(article_id: str) -> None:
        built = cards.build_card(
            rt.factory,
            article_id,
            rt.site,
            rt.settings.base_url,
            rt.html_templates,
            policy,
            utcnow(),
            crawled=crawled,
        )
        outcome = "article gone" if built is None else "built" if built.stored else "changed since"
        log.info("card for article %s: %s", article_id, outcome)
        # The card, its image and the share pages answer anew (or 410) from now on.
        purge_edges([purging.article_key(article_id)])
        if built is not None and built.posts_due:
            check_cards.delay(article_id)

    return make_card


@database_task("syndicate.check_cards")
def check_cards(article_id: str) -> None:
    """Fetch the article page as the crawlers of its unsent posts' platforms do."""
    rt = get_runtime()
    cardchecks.check_article(rt.factory, article_id, cardchecks.fetcher(rt.settings), utcnow())


@database_task("syndicate.compose_posts")
def compose_posts(article_id: str) -> None:
    compose(get_runtime(), article_id)


@database_task("syndicate.compose_posts_of")
def compose_posts_of(changes: list[list[str | None]]) -> None:
    """The posts of the articles a batch of webhooks changed, one after another."""
    rt = get_runtime()
    for_each_article(changes, lambda article_id: compose(rt, article_id))


def compose(rt: Runtime, article_id: str) -> None:
    config = rt.config
    with session_scope(rt.factory) as session:
        work = posts.compose_posts(session, article_id, config, rt.templates, utcnow())
        check = (
            work.composed
            and cardchecks.crawled_channels(config)
            and cardchecks.due(session, article_id)
        )
    log.info(
        "posts for article %s: %s", article_id, "composed" if work.composed else "as they were"
    )
    for post_id in work.due:
        enqueue.post_approved(post_id)
    for change_id in work.changes:
        change_post.delay(change_id)
    if check:
        check_cards.delay(article_id)


def for_each_article(changes: list[list[str | None]], work: Callable[[str], None]) -> None:
    """`work` for each article of a batch, logged under the request id of the webhook that
    changed it and under its own id. An article whose work fails for any reason but the
    database's is logged and left to the sweeper; the others go on."""
    for article_id, request_id in changes:
        ids = logs.request_id.set(request_id), logs.article_id.set(article_id)
        try:
            work(str(article_id))
        except OperationalError:
            raise  # the database: the whole task is tried again
        except Exception:
            log.exception("article %s failed; the sweeper will try it again", article_id)
        finally:
            logs.request_id.reset(ids[0])
            logs.article_id.reset(ids[1])


def _outbox(rt: Runtime) -> Outbox:
    """The fediverse channel's outbox, starting each delivery it writes."""

    def dispatch(delivery_ids: list[int]) -> None:
        for delivery_id in delivery_ids:
            ap_deliver.delay(delivery_id)

    return activitypub_service.outbox(rt, dispatch)


@database_task("syndicate.change_post")
def change_post(change_id: int) -> None:
    """Make one edit or delete of a sent post."""
    rt = get_runtime()
    outcome = lifecycle.apply(
        rt.factory, change_id, rt.config, rt.delivery_policy, utcnow(), outbox=_outbox(rt)
    )
    log.info("post change %s: %s", change_id, outcome.status)
    if outcome.retry_in is not None:
        change_post.apply_async((change_id,), countdown=outcome.retry_in)
    for following in outcome.changes:
        change_post.delay(following)


@database_task("syndicate.deliver_post")
def deliver_post(post_id: int) -> None:
    rt = get_runtime()
    outcome = delivery.deliver(
        rt.factory, post_id, rt.config, rt.delivery_policy, utcnow(), outbox=_outbox(rt)
    )
    log.info("post %s: %s", post_id, outcome.status)
    if outcome.retry_in is not None:
        deliver_post.apply_async((post_id,), countdown=outcome.retry_in)
    for change_id in outcome.changes:
        change_post.delay(change_id)


@database_task("syndicate.sweep")
def sweep() -> None:
    """Re-dispatch due posts and unfinished articles; settle posts a dead worker left behind."""
    rt = get_runtime()
    now = utcnow()
    health.beat(context.redis_client(), context.redis_keys())
    with session_scope(rt.factory) as session:
        delivery.reconcile_stuck(session, now, rt.settings.delivery_lease_seconds, rt.config)
        lifecycle.reconcile_stuck(session, now, rt.settings.delivery_lease_seconds)
        due = delivery.due_posts(session, now)
        due_changes = lifecycle.due_changes(session, now)
        stale = sweeper.stale_articles(session, now, rt.settings.sweep_grace_seconds)
        lost_purges = purging.due(session, now, rt.settings.sweep_grace_seconds)
        site_behind = sitedetails.feeds_behind(session, now, rt.settings.sweep_grace_seconds)
    for post_id in due:
        enqueue.post_approved(post_id)
    for change_id in due_changes:
        change_post.delay(change_id)
    for purge_id in lost_purges:
        purge.delay(purge_id)
    if site_behind:
        site_changed.delay()
    if stale:  # in batches, as a batch of webhooks' articles are
        enqueue.articles_changed([(article_id, None) for article_id in stale])
    if rt.config.notifications:
        notify(now)
    with session_scope(rt.factory) as session:
        readings = engagement.record_due(session, now)
        to_check = channelhealth.due(
            session, rt.config, now, rt.settings.channel_check_interval_seconds
        )
    for engagement_id in readings:
        read_engagement.delay(engagement_id)
    for name in to_check:
        check_channel.delay(name)
    with session_scope(rt.factory) as session:
        activities = ap_deliveries.due(session, now)
    for delivery_id in activities:
        ap_deliver.delay(delivery_id)


@database_task("syndicate.ap_deliver")
def ap_deliver(delivery_id: int) -> None:
    """One activity to one fediverse inbox."""
    rt = get_runtime()
    where = activitypub_service.addresses(rt)
    outcome = ap_deliveries.attempt(
        rt.factory, delivery_id, where, activitypub_service.fetcher(rt), utcnow
    )
    log.info("activitypub delivery %s: %s", delivery_id, outcome.status)
    if outcome.retry_in is not None:
        ap_deliver.apply_async((delivery_id,), countdown=outcome.retry_in)


@database_task("syndicate.check_channel")
def check_channel(name: str) -> None:
    """The regular check of one channel's credentials."""
    rt = get_runtime()
    found = channelhealth.check(rt.factory, name, rt.config, utcnow)
    log.info("channel %s checked: %s", name, found.verdict if found else "not configured")


def notify(now: datetime) -> None:
    """Record what the desk should hear about, and send it, with what a lost message left."""
    rt = get_runtime()
    try:
        with session_scope(rt.factory) as session:
            site = {"title": rt.site(session).title, "review_url": f"{rt.settings.base_url}/review"}
            lease = rt.settings.delivery_lease_seconds
            again = notifications.reconcile_stuck(session, rt.config, now, lease)
            created = notifications.record(session, rt.config, rt.templates, site, now)
            lost = notifications.due(session, now, rt.settings.sweep_grace_seconds)
    except IntegrityError:  # a sweep running beside this one wrote the same rows first
        log.info("notifications were recorded by another sweep")
        return
    for notification_id in sorted({*again, *created, *lost}):
        send_notification.delay(notification_id)


@database_task("syndicate.read_engagement")
def read_engagement(engagement_id: int) -> None:
    """Read one sent post's counts at one checkpoint."""
    rt = get_runtime()
    outcome = engagement.read(rt.factory, engagement_id, rt.config)
    log.info("engagement %s: %s", engagement_id, outcome.status)


@database_task("syndicate.send_notification")
def send_notification(notification_id: int) -> None:
    rt = get_runtime()
    smtp_url = rt.settings.smtp_url.get_secret_value()
    outcome = notifications.attempt(rt.factory, notification_id, rt.config, smtp_url)
    log.info("notification %s: %s", notification_id, outcome.status)
    if outcome.retry_in is not None:
        send_notification.apply_async((notification_id,), countdown=outcome.retry_in)
