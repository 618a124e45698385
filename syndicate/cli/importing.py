"""`syndicate import FEED_URL_OR_FILE`: backfill history from an existing RSS or Atom feed."""

from __future__ import annotations

import click

from syndicate.cli.common import load_runtime, progress_bar


@click.command("import")
@click.argument("source")
@click.option("--share", is_flag=True, help="also compose social posts for the imported articles")
@click.option("--language", default=None, help="the articles' language, if the feed omits it")
def import_feed(source: str, share: bool, language: str | None) -> None:
    """Store an RSS or Atom feed's articles (URL or file) so the feeds have their history.

    Running it again changes nothing unless the feed did. No social posts are made unless
    --share is given."""
    from syndicate.importer import (
        FeedImportError,
        import_entries,
        normal_language,
        oldest_first,
        read_feed,
        render_feeds,
    )
    from syndicate.models import utcnow
    from workers.app import make_celery
    from workers.enqueue import Enqueuer

    rt = load_runtime()
    site = rt.site()
    try:
        parsed = read_feed(source)
    except FeedImportError as exc:
        raise click.ClickException(str(exc)) from None
    language = language or parsed.feed.get("language") or site.language
    entries = oldest_first(list(parsed.entries))
    result = import_entries(
        rt.factory,
        progress_bar(entries, "articles"),
        site,
        rt.feed_settings,
        share,
        utcnow(),
        normal_language(language),
    )
    render_feeds(rt.factory, result, site, rt.feed_settings, progress_bar)
    queue = Enqueuer(make_celery(rt.settings))
    for article_id in result.changed_ids:
        queue.send("syndicate.build_card", article_id)
        if share:
            queue.send("syndicate.compose_posts", article_id)
    for problem in result.skipped:
        click.echo(f"skipped {problem}", err=True)
    click.echo(
        f"imported {result.new} new and {result.updated} updated articles; "
        f"{result.unchanged} unchanged, {len(result.skipped)} skipped"
    )
