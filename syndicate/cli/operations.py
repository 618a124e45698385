"""Operators' commands: doctor, preview, replay, the channel list, pausing and resuming
channels, and rebuilding the feeds."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from syndicate.cli.common import load_runtime, progress_bar

if TYPE_CHECKING:
    from syndicate.runtime import Runtime


@click.command()
def doctor() -> None:
    """Check the configuration, database, Redis and worker heartbeat, each with a verdict."""
    from syndicate.doctor import diagnose
    from syndicate.settings import Settings

    checks = diagnose(Settings())
    for check in checks:
        verdict = "ok  " if check.ok else "FAIL"
        click.echo(f"{verdict}  {check.name}: {check.detail}")
    if not all(check.ok for check in checks):
        sys.exit(1)


@click.command()
@click.argument("article_id")
@click.argument("channel")
def preview(article_id: str, channel: str) -> None:
    """Show the post CHANNEL would compose for a stored article, measured as it counts."""
    from syndicate.compose import CompositionError
    from syndicate.models import Article
    from syndicate.preview import preview as compose_preview

    rt = load_runtime()
    configured = rt.config.channel(channel)
    if configured is None:
        raise click.ClickException(f"no channel {channel!r} in {rt.settings.config}")
    with rt.factory() as session:
        article = session.get(Article, article_id)
        if article is None:
            raise click.ClickException(f"no article {article_id!r}")
        try:
            shown = compose_preview(article, configured, rt.templates)
        except CompositionError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(shown.text)
    click.echo(f"\n{shown.length} / {shown.limit} {shown.unit}", err=True)
    for problem in shown.problems:
        click.echo(f"problem: {problem}", err=True)
    if not shown.valid:
        sys.exit(1)


@click.command()
@click.argument("delivery_id")
def replay(delivery_id: str) -> None:
    """Run the pipeline again for the article a webhook delivery carried: feeds, card, posts.

    Every step is idempotent, so this repairs what went wrong without duplicating anything."""
    from syndicate.models import InboundDelivery
    from workers.app import make_celery
    from workers.enqueue import Enqueuer

    rt = load_runtime()
    with rt.factory() as session:
        found = session.get(InboundDelivery, delivery_id)
        if found is None:
            raise click.ClickException(f"no webhook delivery {delivery_id!r}")
        article_id = found.article_id
    queued = Enqueuer(make_celery(rt.settings)).article_changed(article_id)
    if not queued:
        raise click.ClickException("the broker is unreachable; nothing was queued")
    click.echo(f"delivery {delivery_id}: queued feeds, card and posts for article {article_id}")


@click.group()
def channels() -> None:
    """The configured channels and their state."""


@channels.command("list")
def list_channels() -> None:
    """Each channel: platform, approval, and whether it is sending, paused or needs credentials."""
    from syndicate import channels as channel_states

    rt = load_runtime()
    with rt.factory() as session:
        states = channel_states.states(session)
        for channel in rt.config.channels:
            state = states.get(channel.name)
            if not channel.enabled:
                status = "disabled"
            elif state and state.needs_credentials:
                status = "needs new credentials"
            else:
                status = channel_states.paused_because(session, channel.name) or "sending"
            approval = "automatic" if channel.auto_approve else "reviewed"
            click.echo(f"{channel.name}\t{channel.platform}\t{approval}\t{status}")


@channels.command("check")
def check_channels() -> None:
    """Make one harmless API call per channel; say which need attention (exit 1 if any)."""
    from syndicate.checks import check_channels as run_checks
    from syndicate.tokens import TokenVault

    runtime = load_runtime()
    results = run_checks(runtime.config, TokenVault(runtime.factory))
    for result in results:
        click.echo(f"{result.channel}\t{result.verdict}\t{result.detail}")
    if any(result.verdict == "attention" for result in results):
        sys.exit(1)


@channels.command("set-tokens")
@click.argument("name")
@click.option("--expires-in", type=int, default=None, help="Seconds the access token lives.")
def set_tokens(name: str, expires_in: int | None) -> None:
    """Store a channel's new OAuth 2.0 tokens after authorising the app again. Reads the access
    token and then the refresh token from standard input (one per line), so they stay out of
    the shell's history."""
    from datetime import timedelta

    from syndicate import channels as channel_states
    from syndicate.models import ChannelState, utcnow
    from syndicate.platforms.options import Grant
    from syndicate.tokens import TokenVault

    runtime = load_runtime()
    if runtime.config.channel(name) is None:
        raise click.ClickException(f"no channel named {name!r}")
    hidden = sys.stdin.isatty()
    access = click.prompt("access token", hide_input=hidden, prompt_suffix=": ")
    refresh = click.prompt("refresh token", hide_input=hidden, prompt_suffix=": ")
    expires = utcnow() + timedelta(seconds=expires_in) if expires_in else None
    TokenVault(runtime.factory).store(name, Grant(access.strip(), refresh.strip(), expires))
    click.echo(f"stored new tokens for {name}")
    with runtime.factory.begin() as session:
        state = session.get(ChannelState, name)
        if state is not None and state.needs_credentials:
            channel_states.resume(session, name, utcnow())
            click.echo(f"{name} was waiting for new credentials; it is sending again")


@click.command()
@click.argument("channel", default="*")
@click.option("--reason", default="", help="shown to reviewers while the channel is paused")
def pause(channel: str, reason: str) -> None:
    """Pause a channel, or every channel (the default): nothing is sent until resumed."""
    _switch(channel, paused=True, reason=reason)


@click.command()
@click.argument("channel", default="*")
def resume(channel: str) -> None:
    """Resume a channel, or every channel (the default)."""
    _switch(channel, paused=False, reason="")


def _switch(channel: str, paused: bool, reason: str) -> None:
    from syndicate import channels
    from syndicate.models import ALL_CHANNELS, utcnow

    rt = load_runtime()
    if channel != ALL_CHANNELS and rt.config.channel(channel) is None:
        click.echo(f"no channel {channel!r} in {rt.settings.config}", err=True)
        sys.exit(2)
    with rt.factory.begin() as session:
        if paused:
            channels.pause(session, channel, reason, utcnow())
        else:
            channels.resume(session, channel, utcnow())
    which = "every channel" if channel == ALL_CHANNELS else f"channel {channel}"
    click.echo(f"{which} {'paused' if paused else 'resumed'}")


@click.command("rebuild-feeds")
def rebuild_feeds() -> None:
    """Render every feed again from the database (after changing templates or page size)."""
    from syndicate.feeds.build import rebuild_all

    rt = load_runtime()
    rebuilt = rebuild_all(rt.factory, rt.site(), rt.feed_settings, progress_bar)
    click.echo(f"rebuilt {rebuilt.feeds} feeds and {rebuilt.archive_pages} archive pages")
    if rt.settings.feed_export_dir:
        _export_all(rt)


@click.command("export-feeds")
def export_feeds() -> None:
    """Write every stored feed to SYNDICATE_FEED_EXPORT_DIR and remove files of feeds that no
    longer exist (once when the export is first set up; workers keep it current after)."""
    rt = load_runtime()
    if not rt.settings.feed_export_dir:
        raise click.ClickException("SYNDICATE_FEED_EXPORT_DIR is not set")
    _export_all(rt)


def _export_all(rt: Runtime) -> None:
    from sqlalchemy import select

    from syndicate.feeds.export import FeedExport
    from syndicate.models import FeedDocument

    assert rt.settings.feed_export_dir is not None
    export = FeedExport(rt.settings.feed_export_dir)
    with rt.factory() as session:
        keys = set(session.scalars(select(FeedDocument.key)))
        with click.progressbar(sorted(keys), label="export") as bar:
            for key in bar:
                export.write_stored(session, [key])
    removed = export.prune(keys)
    click.echo(f"exported {len(keys)} feeds to {export.root}; removed {len(removed)} stale")
