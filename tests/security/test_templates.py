"""Whoever may edit a site's post templates cannot run code: the app's own HTML never comes
from the site's folder, and the sandboxed post templates can reach nothing but post texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import TemplateNotFound

from syndicate.compose import CompositionError, compose
from syndicate.runtime import Runtime, build_runtime
from syndicate.templating import text_environment
from syndicate.web.ui.session import render
from tests.platforms.conftest import adapter_for, channel
from tests.platforms.test_compose import make_article

ESCAPE = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"


@pytest.fixture
def hostile_site(tmp_path: Path, runtime: Runtime) -> Runtime:
    own = tmp_path / "templates"
    for name in ("review/refused.html.j2", "cards/meta.html.j2", "posts/x/post.txt.j2"):
        (own / name).parent.mkdir(parents=True, exist_ok=True)
        (own / name).write_text(ESCAPE)
    (own / "posts/x/include.txt.j2").write_text('{% include "review/refused.html.j2" %}')
    config = tmp_path / "site.toml"
    config.write_text(f'[site]\ntitle = "Hostile"\ntemplates = "{own}"\n')
    return build_runtime(runtime.settings.model_copy(update={"config": config}))


def test_the_apps_own_pages_ignore_a_site_folders_templates(hostile_site: Runtime) -> None:
    page = render(hostile_site, "review/refused.html.j2", None, 403, message="Not for you.")
    assert b"Not for you." in page.body and b"uid=" not in page.body


def test_a_post_template_with_a_sandbox_escape_fails_to_compose(hostile_site: Runtime) -> None:
    with pytest.raises(CompositionError):
        compose(make_article(), channel("x"), adapter_for(channel("x")), hostile_site.templates)


def test_a_post_template_cannot_include_the_apps_html(hostile_site: Runtime) -> None:
    ch = channel("x", template="posts/x/include.txt.j2")
    with pytest.raises(CompositionError, match=r"review/refused\.html\.j2"):
        compose(make_article(), ch, adapter_for(ch), hostile_site.templates)
    with pytest.raises(TemplateNotFound):
        text_environment(hostile_site.templates).get_template("cards/meta.html.j2")
