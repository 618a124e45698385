"""`syndicate secrets`: the credentials the service stores, encrypted under
SYNDICATE_SECRET_KEY."""

from __future__ import annotations

import click

from syndicate.cli.common import load_runtime


@click.group("secrets")
def secrets_group() -> None:
    """The stored credentials' encryption."""


@secrets_group.command()
def rotate() -> None:
    """Re-encrypt every stored credential under the first key in SYNDICATE_SECRET_KEY, after a
    new key was put first; the old keys can then be removed."""
    from syndicate.db import Base
    from syndicate.secretbox import UnreadableSecret, reseal_columns, sealed_columns

    runtime = load_runtime()
    try:
        with runtime.engine.begin() as connection:
            total = sum(
                reseal_columns(connection, table, key, columns)
                for table, key, columns in sealed_columns(Base.metadata)
            )
    except UnreadableSecret as exc:
        raise click.ClickException(f"{exc}; nothing was changed") from exc
    click.echo(f"re-encrypted {total} stored credential(s) under the first key")
