"""`syndicate import` follows a feed's RFC 5005 archives back to the first, and reads Ghost's
Content API page by page, against servers on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from syndicate.history import kind_of
from syndicate.models import Article
from syndicate.runtime import Runtime
from tests.test_import import feed_server, syndicate_import

__all__ = ["feed_server"]
KEY = "22444f78447824223cefc48062"


def titles(runtime: Runtime) -> list[str]:
    with runtime.factory() as session:
        return list(session.scalars(select(Article.title).order_by(Article.published_at)))


def test_a_feed_s_archives_are_followed_back_to_the_first(
    feed_server: str, stack_env: dict[str, str], runtime: Runtime, clean: None
) -> None:
    done = syndicate_import(f"{feed_server}/archive/current.xml", env=stack_env)
    assert done.returncode == 0, done.stderr
    assert "read 3 page(s), 5 article(s)" in done.stderr
    assert titles(runtime) == [
        "Autumn fair opens",
        "Night buses return",
        "Market moves indoors",
        "School roof repaired",
        "Harbour dredging starts",
    ]


def test_since_stops_before_the_archives_it_does_not_need(
    feed_server: str, stack_env: dict[str, str], runtime: Runtime, clean: None
) -> None:
    done = syndicate_import(
        f"{feed_server}/archive/current.xml", "--since", "2026-10-10", env=stack_env
    )
    assert done.returncode == 0, done.stderr
    assert "read 2 page(s), 3 article(s)" in done.stderr  # 2026-09.xml is never fetched
    assert titles(runtime) == [
        "Market moves indoors",
        "School roof repaired",
        "Harbour dredging starts",
    ]


def test_a_since_that_is_not_a_date_is_refused(feed_server: str, stack_env: dict[str, str]) -> None:
    done = syndicate_import(
        f"{feed_server}/archive/current.xml", "--since", "lately", env=stack_env
    )
    assert done.returncode == 2
    assert "'lately' is not a date" in done.stderr


def ghost_post(n: int) -> dict[str, object]:
    return {
        "id": f"6570{n:020d}",
        "url": f"https://ghost.example/story-{n}/",
        "title": f"Ghost story {n}",
        "html": f"<p>Story {n}.</p>",
        "custom_excerpt": f"Story {n}.",
        "tags": [{"name": "Local"}],
        "primary_tag": {"name": "Local"},
        "authors": [{"name": "Ada", "slug": "ada"}],
        "published_at": f"2026-11-{n:02d}T09:00:00.000+00:00",
        "updated_at": f"2026-11-{n:02d}T09:00:00.000+00:00",
    }


@pytest.fixture
def ghost() -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """Ghost's Content API for 12 posts, newest first, five to a page as asked."""
    posts = [ghost_post(n) for n in range(12, 0, -1)]
    asked: list[dict[str, list[str]]] = []

    class ContentApi(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            asked.append(query)
            if query.get("key") != [KEY]:
                self.answer(401, {"errors": [{"message": "Unknown Content API Key"}]})
                return
            limit, page = min(int(query["limit"][0]), 5), int(query["page"][0])
            pages = -(-len(posts) // limit)
            chunk = posts[(page - 1) * limit : page * limit]
            meta = {"page": page, "limit": limit, "pages": pages, "total": len(posts)}
            meta["next"] = page + 1 if page < pages else None
            self.answer(200, {"posts": chunk, "meta": {"pagination": meta}})

        def answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), ContentApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ghost/api/content/posts/", asked
    server.shutdown()


def test_ghost_s_content_api_is_read_page_by_page(
    ghost: tuple[str, list[dict[str, list[str]]]],
    stack_env: dict[str, str],
    runtime: Runtime,
    clean: None,
) -> None:
    url, asked = ghost
    refused = syndicate_import(url, env=stack_env)
    assert refused.returncode == 1 and "HTTP 401" in refused.stderr

    done = syndicate_import(url, "--ghost-key", KEY, env=stack_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported 12 new and 0 updated articles; 0 unchanged, 0 skipped"
    assert [q["page"] for q in asked[1:]] == [["1"], ["2"], ["3"]]
    assert asked[1]["include"] == ["tags,authors"] and asked[1]["formats"] == ["html"]
    with runtime.factory() as session:
        first = session.scalars(select(Article).where(Article.title == "Ghost story 1")).one()
        assert (first.section, first.authors[0]["name"]) == ("Local", "Ada")


def test_each_source_is_known_by_its_address() -> None:
    assert kind_of("https://news.example/wp-json/wp/v2/posts") == "wordpress"
    assert kind_of("https://news.example/?rest_route=/wp/v2/posts") == "wordpress"
    assert kind_of("https://news.example/ghost/api/content/posts/") == "ghost"
    assert kind_of("https://news.example/feed/") == "feed"
    assert kind_of("archive.xml") == "feed"
