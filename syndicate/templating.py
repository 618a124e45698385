"""Jinja2 environments: the app's own HTML (autoescaped) and the texts a social team edits
(sandboxed, strict).

The two never share a loader. HTML pages and cards come only from the built-in templates, and
run unsandboxed; a site's own template folder can override only the post and share texts,
which run in the sandbox whatever folder they come from."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeAlias

from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)
from jinja2.sandbox import SandboxedEnvironment

# A folder of templates, or several searched in order (a site's own overrides first).
Templates: TypeAlias = Path | tuple[Path, ...]
# The only templates the sandboxed environment loads, from any folder.
EDITABLE_TEMPLATES = ("posts/", "share/text/", "notifications/")


class EditableTemplates(BaseLoader):
    """Post and share texts from the folders given; any other name is not found."""

    def __init__(self, folders: Templates) -> None:
        self.files = FileSystemLoader(folders)

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if not template.startswith(EDITABLE_TEMPLATES):
            raise TemplateNotFound(template)
        return self.files.get_source(environment, template)


@lru_cache(maxsize=8)
def html_environment(builtin: Path) -> Environment:
    """The app's own pages and cards, from its built-in folder only."""
    return Environment(
        loader=FileSystemLoader(builtin),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=8)
def text_environment(templates_dir: Templates) -> SandboxedEnvironment:
    """Post templates are edited by social teams, so they run sandboxed."""
    return SandboxedEnvironment(
        loader=EditableTemplates(templates_dir),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
