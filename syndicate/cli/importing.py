"""`syndicate import SOURCE`: backfill a publication's whole history, from a feed and its
archives, WordPress's paged feeds, the WordPress REST API or Ghost's Content API."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from syndicate.cli.common import load_runtime, progress_bar


def _moment(value: str | None) -> datetime | None:
    """A date or time from the command line; without a zone, UTC."""
    if value is None:
        return None
    from syndicate.moments import in_range

    try:
        moment = datetime.fromisoformat(value)
        return in_range(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date between 1970 and 2199 (2026-01-31, 2026-01-31T09:00Z)",
            param_hint="--since",
        ) from None


@click.command("import")
@click.argument("source")
@click.option("--share", is_flag=True, help="also compose social posts for the imported articles")
@click.option("--language", default=None, help="the articles' language, if the source omits it")
@click.option("--since", default=None, help="only articles published on or after this date")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="only the newest N")
@click.option(
    "--ghost-key", default="", envvar="SYNDICATE_GHOST_CONTENT_KEY", help="a Ghost Content API key"
)
def import_feed(
    source: str,
    share: bool,
    language: str | None,
    since: str | None,
    limit: int | None,
    ghost_key: str,
) -> None:
    """Store a publication's articles so the feeds have their history. SOURCE is a feed (URL
    or file: its RFC 5005 archives and WordPress's `?paged=N` pages are followed), a WordPress
    REST API posts URL (`https://site/wp-json/wp/v2/posts`) or a Ghost Content API posts URL
    (`https://site/ghost/api/content/posts/`, with --ghost-key).

    Running it again changes nothing unless the source did, and an import that was stopped
    half-way stores the rest. No social posts are made unless --share is given."""
    from syndicate import history
    from syndicate.cms import ArticleIn
    from syndicate.importer import FeedImportError, import_articles, oldest_first, render_feeds
    from syndicate.models import utcnow
    from workers.app import make_celery
    from workers.enqueue import Enqueuer

    rt = load_runtime()
    site = rt.site()
    start = _moment(since)
    articles: list[ArticleIn] = []
    skipped: list[str] = []
    fetched = 0
    try:
        found = history.pages(source, language, site.language, ghost_key=ghost_key)
        for page in history.since_and_limit(found, start, limit):
            fetched += 1
            articles.extend(page.articles)
            skipped.extend(page.skipped)
            click.echo(f"\rread {fetched} page(s), {len(articles)} article(s)", nl=False, err=True)
    except FeedImportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("", err=True)
    result = import_articles(
        rt.factory,
        progress_bar(oldest_first(articles), "articles"),
        site,
        rt.feed_settings,
        share,
        utcnow(),
    )
    render_feeds(rt.factory, result, site, rt.feed_settings, progress_bar)
    queue = Enqueuer(make_celery(rt.settings))
    for article_id in result.changed_ids:
        queue.send("syndicate.build_card", article_id)
        if share:
            queue.send("syndicate.compose_posts", article_id)
    for problem in skipped:
        click.echo(f"skipped {problem}", err=True)
    click.echo(
        f"imported {result.new} new and {result.updated} updated articles; "
        f"{result.unchanged} unchanged, {len(skipped)} skipped"
    )
