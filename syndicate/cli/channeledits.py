"""`syndicate channels add|edit|remove`: channels kept in the database, as the review app and
the API keep them. The channel comes as a JSON object (ChannelConfig's fields, and `secret`,
`refresh_token`, `client_secret`) from a file or standard input, so that no credential goes
through the shell's history."""

from __future__ import annotations

import json
from typing import IO, Any

import click

from syndicate.cli.common import load_runtime
from syndicate.cli.operations import channels

CLI_ACTOR = "command line"


def _read(source: IO[str]) -> dict[str, Any]:
    try:
        payload = json.load(source)
    except ValueError as exc:
        raise click.ClickException(f"not a JSON object: {exc}") from exc
    if not isinstance(payload, dict):
        raise click.ClickException("not a JSON object")
    return payload


def _split(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    from syndicate.channelstore import CREDENTIALS

    credentials = {k: str(v) for k, v in payload.items() if k in CREDENTIALS}
    return {k: v for k, v in payload.items() if k not in CREDENTIALS}, credentials


@channels.command("add")
@click.argument("source", type=click.File("r"), default="-")
def add_channel(source: IO[str]) -> None:
    """Add a channel described by the JSON object in SOURCE (standard input by default)."""
    from syndicate import channelstore
    from syndicate.models import utcnow

    runtime = load_runtime()
    options, credentials = _split(_read(source))
    try:
        with runtime.factory.begin() as session:
            channel = channelstore.add(
                session, runtime.file_config, options, credentials, CLI_ACTOR, utcnow()
            )
    except channelstore.ChannelProblem as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"added {channel.name} ({channel.platform})")


@channels.command("edit")
@click.argument("name")
@click.argument("source", type=click.File("r"), default="-")
def edit_channel(name: str, source: IO[str]) -> None:
    """Change the options, and replace the credentials, given in SOURCE's JSON object."""
    from syndicate import channelstore
    from syndicate.models import utcnow

    runtime = load_runtime()
    options, credentials = _split(_read(source))
    try:
        with runtime.factory.begin() as session:
            channelstore.edit(
                session, runtime.file_config, name, options, credentials, CLI_ACTOR, utcnow()
            )
    except channelstore.ChannelProblem as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"changed {name}")


@channels.command("remove")
@click.argument("name")
def remove_channel(name: str) -> None:
    """Remove a channel added in the app; its posts and their history stay."""
    from syndicate import channelstore
    from syndicate.models import utcnow

    runtime = load_runtime()
    try:
        with runtime.factory.begin() as session:
            channelstore.remove(session, runtime.file_config, name, CLI_ACTOR, utcnow())
    except channelstore.ChannelProblem as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"removed {name}")
