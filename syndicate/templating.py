"""Jinja2 environments: HTML pages (autoescaped) and post text (sandboxed, strict)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TypeAlias

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

# A folder of templates, or several searched in order (a site's own overrides first).
Templates: TypeAlias = Path | tuple[Path, ...]


@lru_cache(maxsize=8)
def html_environment(templates_dir: Templates) -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=8)
def text_environment(templates_dir: Templates) -> SandboxedEnvironment:
    """Post templates are edited by social teams, so they run sandboxed."""
    return SandboxedEnvironment(
        loader=FileSystemLoader(templates_dir),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
