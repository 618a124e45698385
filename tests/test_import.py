"""`syndicate import`: an existing feed's history into the database and the feeds, without
social posts unless asked, and the same result however often it runs."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from syndicate.importer import article_id
from syndicate.models import Article, ArticleRevision, Post
from syndicate.runtime import Runtime
from tests.client import Client
from tests.servers import free_port, wait_until

FIXTURES = Path(__file__).parent / "fixtures" / "import"
FERRY = "feed-" + hashlib.sha256(b"https://gazette.example/?p=1182").hexdigest()[:32]


def syndicate_import(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syndicate.cli", "import", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def feed_server() -> Iterator[str]:
    """The fixture feeds served over HTTP on loopback."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(Quiet, directory=str(FIXTURES)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def test_a_wordpress_feed_is_imported_into_the_feeds_without_posts(
    stack_env: dict[str, str], runtime: Runtime, client: Client
) -> None:
    done = syndicate_import(str(FIXTURES / "wordpress-rss.xml"), env=stack_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("imported 2 new and 0 updated articles; 0 unchanged, 1 skipped")
    assert "skipped https://gazette.example/2026/undated/: published_at:" in done.stderr
    with runtime.factory() as session:
        ferry = session.get_one(Article, FERRY)
        assert ferry.title == "Ferry timetable changes for winter"
        assert ferry.url == "https://gazette.example/2026/11/24/ferry-timetable-winter/"
        assert ferry.authors == [{"name": "Mara Quay", "url": None, "handles": {}}]
        assert ferry.tags == ["Transport", "Ferries"]
        assert ferry.language == "en-GB"
        assert ferry.image_url == "https://gazette.example/wp-content/uploads/2026/11/ferry.jpg"
        assert ferry.shareable is False
        lighthouse = session.scalars(
            select(Article).where(Article.title == "Lighthouse reopens to visitors & schools")
        ).one()
        assert lighthouse.published_at.isoformat() == "2026-10-02T07:00:00+00:00"

    def feeds_hold_both() -> str | None:
        rss = client.http.get("/feeds/rss.xml")
        tagged = client.http.get("/feeds/tags/ferries/feed.json")
        if rss.status_code != 200 or tagged.status_code != 200 or not tagged.json()["items"]:
            return None
        both = "Ferry timetable" in rss.text and "Lighthouse reopens" in rss.text
        return rss.text if both else None

    rss = wait_until(feeds_hold_both)
    assert rss.index("Ferry timetable") < rss.index("Lighthouse reopens")
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(Post)) == 0


def test_importing_again_changes_nothing(
    stack_env: dict[str, str], runtime: Runtime, clean: None
) -> None:
    source = str(FIXTURES / "wordpress-rss.xml")
    assert syndicate_import(source, env=stack_env).returncode == 0
    again = syndicate_import(source, env=stack_env)
    assert again.stdout.strip() == ("imported 0 new and 0 updated articles; 2 unchanged, 1 skipped")
    with runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(ArticleRevision)) == 2


@pytest.mark.usefixtures("worker")
def test_an_atom_feed_from_a_url_with_share_gets_posts(
    stack_env: dict[str, str], runtime: Runtime, client: Client, feed_server: str
) -> None:
    done = syndicate_import(f"{feed_server}/ghost-atom.xml", "--share", env=stack_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imported 1 new")
    tides = (
        "feed-"
        + __import__("hashlib").sha256(b"tag:tides.example,2026:spring-tides").hexdigest()[:32]
    )
    posts = wait_until(lambda: client.posts(article_id=tides))
    assert {p["channel"] for p in posts} == {"newsroom-hook", "wire"}


def test_an_unreadable_source_is_a_clear_error(stack_env: dict[str, str], clean: None) -> None:
    missing = syndicate_import("/nonexistent/feed.xml", env=stack_env)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "Error: /nonexistent/feed.xml: no such file"


def test_ids_are_kept_when_valid_and_hashed_when_not() -> None:
    assert article_id({"id": "post-42"}) == "post-42"
    assert article_id({"id": "https://gazette.example/?p=1182"}) == FERRY
