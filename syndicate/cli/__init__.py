"""The `syndicate` command line."""

from __future__ import annotations

import click

from syndicate.cli import channeledits  # noqa: F401  (adds add, edit, remove to channels)
from syndicate.cli.importing import import_feed
from syndicate.cli.operations import (
    channels,
    doctor,
    export_feeds,
    pause,
    preview,
    rebuild_feeds,
    replay,
    resume,
)
from syndicate.cli.processes import beat, migrate, serve, up, worker
from syndicate.cli.secrets import secrets_group
from syndicate.cli.users import users


@click.group()
def main() -> None:
    """Syndicate: CMS webhooks in; feeds, cards and reviewed social posts out."""


for command in (
    migrate,
    serve,
    worker,
    beat,
    up,
    pause,
    resume,
    rebuild_feeds,
    export_feeds,
    doctor,
    preview,
    replay,
    channels,
    users,
    secrets_group,
    import_feed,
):
    main.add_command(command)
