"""`syndicate import` reads a real WordPress's whole history, 250 posts: through its REST API
page by page, again after it was killed half-way, with nothing stored twice; and through its
paged feed, cut by --since and --limit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from syndicate.models import Article, ArticleRevision
from syndicate.runtime import Runtime, build_runtime
from syndicate.settings import Settings
from tests.conftest import REDIS_PREFIX
from tests.databases import fresh_database
from tests.peers.wordpress import RealWordPress
from tests.servers import wait_until
from tests.test_import import syndicate_import

POSTS = 150


@pytest.fixture(scope="module")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealWordPress]:
    site = RealWordPress(tmp_path_factory.mktemp("wordpress-history")).start()
    # A newsroom's archive, one post an hour, written before the plugin knew of Syndicate.
    site.php(
        f"""
        remove_action('transition_post_status', 'syndicate_transition', 10);
        wp_delete_post(1, true); // "Hello world!"
        wp_defer_term_counting(true);
        $start = strtotime('2026-01-01 00:00:00');
        for ($n = 1; $n <= {POSTS}; $n++) {{
            wp_insert_post([
                'post_title' => "Archive story $n",
                'post_content' => "<p>Story number $n.</p>",
                'post_status' => 'publish',
                'post_author' => 1,
                'post_date_gmt' => gmdate('Y-m-d H:i:s', $start + $n * 3600),
                'tags_input' => [$n % 2 ? 'Odd' : 'Even'],
            ]);
        }}
        """
    )
    yield site
    site.stop()


@pytest.fixture
def import_env(stack_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A database and queues of the imports' own, which no worker or sweeper of the suite
    reads: hundreds of imported articles waiting for their cards would otherwise keep the
    shared worker busy well into the next tests."""
    with fresh_database() as url:
        yield {
            **stack_env,
            "SYNDICATE_DATABASE_URL": url,
            "SYNDICATE_REDIS_PREFIX": f"{REDIS_PREFIX}imports:",
        }


@pytest.fixture
def runtime(import_env: dict[str, str]) -> Iterator[Runtime]:
    isolated = build_runtime(Settings(database_url=import_env["SYNDICATE_DATABASE_URL"]))
    yield isolated
    isolated.engine.dispose()


def stored(runtime: Runtime) -> int:
    with runtime.factory() as session:
        return int(session.scalar(select(func.count()).select_from(Article)) or 0)


def revisions(runtime: Runtime) -> int:
    with runtime.factory() as session:
        return int(session.scalar(select(func.count()).select_from(ArticleRevision)) or 0)


def test_the_rest_api_brings_every_post_in_even_after_the_import_was_killed_half_way(
    wordpress: RealWordPress, import_env: dict[str, str], runtime: Runtime
) -> None:
    source = f"{wordpress.url}/?rest_route=/wp/v2/posts"
    running = subprocess.Popen(
        [sys.executable, "-m", "syndicate.cli", "import", source],
        env={**os.environ, **import_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: stored(runtime) >= 40, timeout=120, interval=0.05)
    finally:
        running.send_signal(signal.SIGKILL)
        running.wait()
    half = stored(runtime)
    assert half < POSTS

    done = syndicate_import(source, env=import_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"imported {POSTS - half} new and 0 updated articles; {half} unchanged, 0 skipped"
    )
    assert "read 2 page(s)" in done.stderr  # a hundred posts a page
    assert revisions(runtime) == POSTS  # nothing stored twice
    with runtime.factory() as session:
        first = session.scalars(select(Article).where(Article.title == "Archive story 1")).one()
        assert first.tags == ["Odd"]
        assert first.published_at.isoformat() == "2026-01-01T01:00:00+00:00"
        assert first.authors[0]["name"] == "editor"

    again = syndicate_import(source, env=import_env)
    assert again.stdout.strip() == (
        f"imported 0 new and 0 updated articles; {POSTS} unchanged, 0 skipped"
    )


def test_the_paged_feed_is_followed_and_since_and_limit_stop_it(
    wordpress: RealWordPress, import_env: dict[str, str], runtime: Runtime
) -> None:
    feed = f"{wordpress.url}/?feed=rss2"
    newest = syndicate_import(feed, "--limit", "25", env=import_env)
    assert newest.returncode == 0, newest.stderr
    assert newest.stdout.strip() == "imported 25 new and 0 updated articles; 0 unchanged, 0 skipped"
    assert "read 3 page(s)" in newest.stderr  # ten items a page: the third has the last five
    with runtime.factory() as session:
        titles = set(session.scalars(select(Article.title)))
    assert titles == {f"Archive story {n}" for n in range(POSTS - 24, POSTS + 1)}

    # Story 100 went out at 2026-01-05T04:00Z: 51 stories from then on, 25 already stored.
    since = syndicate_import(feed, "--since", "2026-01-05T04:00:00Z", env=import_env)
    assert since.stdout.strip() == "imported 26 new and 0 updated articles; 25 unchanged, 0 skipped"

    everything = syndicate_import(feed, env=import_env)
    assert everything.returncode == 0, everything.stderr
    assert f"read {POSTS // 10} page(s)" in everything.stderr
    assert stored(runtime) == POSTS
