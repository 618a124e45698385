"""What every command needs: the runtime built from the environment, or a clear exit."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import click

from syndicate.config import ConfigError
from syndicate.settings import get_settings

if TYPE_CHECKING:
    from syndicate.runtime import Runtime


def load_runtime() -> Runtime:
    """The runtime, or exit 2 naming what is wrong with the configuration."""
    from syndicate.runtime import get_runtime

    try:
        return get_runtime()
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)


def runtime_with_logs() -> Runtime:
    """The same, with logging set up first, for the long-running processes."""
    from syndicate import logs

    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    return load_runtime()


def progress_bar(items: Iterable[Any], label: str) -> Iterator[Any]:
    listed = list(items)
    with click.progressbar(listed, label=label, file=sys.stderr) as bar:
        yield from bar
