"""Feeds exported as static files and served by the real nginx with the project's
config/nginx.conf: byte for byte what the app serves, with validators, gzip and the app's
headers, kept current as articles change, and the app answering whatever is not exported."""

from __future__ import annotations

import gzip
import os
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from syndicate.feeds.export import FeedExport
from syndicate.runtime import Runtime, build_runtime
from syndicate.settings import Settings
from syndicate.web.app import create_app
from tests.client import Client, article, envelope
from tests.conftest import API_TOKEN, REDIS_PREFIX, WEBHOOK_SECRETS, forget_redis_keys
from tests.databases import fresh_database
from tests.peers.nginx import Nginx
from tests.servers import WebServer, WorkerProcess, free_port, wait_until

HUB = "https://hub.example/"


@dataclass
class Exporting:
    client: Client  # the Syndicate web app
    nginx: httpx.Client
    export_dir: Path
    runtime: Runtime


@pytest.fixture
def exporting(stack_env: dict[str, str], tmp_path: Path) -> Iterator[Exporting]:
    """A worker that exports feeds, its web app, and nginx in front of both."""
    export_dir = tmp_path / "export"
    prefix = f"{REDIS_PREFIX}export-{uuid.uuid4().hex[:6]}:"
    with fresh_database() as database_url:
        env = {
            **stack_env,
            "SYNDICATE_DATABASE_URL": database_url,
            "SYNDICATE_REDIS_PREFIX": prefix,
            "SYNDICATE_FEED_EXPORT_DIR": str(export_dir),
        }
        runtime = build_runtime(
            Settings(database_url=database_url, redis_prefix=prefix, feed_export_dir=export_dir)
        )
        web = WebServer(create_app(runtime)).start()
        worker = WorkerProcess(env, tmp_path / "worker.log").start()
        nginx_dir = tmp_path / "nginx"
        nginx_dir.mkdir()
        nginx = Nginx(nginx_dir, export_dir, web.port, free_port(), HUB).start()
        try:
            yield Exporting(
                Client(web.url, WEBHOOK_SECRETS.split(",")[0], API_TOKEN),
                httpx.Client(base_url=nginx.url, timeout=10),
                export_dir,
                runtime,
            )
        finally:
            nginx.stop()
            assert worker.process is not None
            os.killpg(worker.process.pid, signal.SIGTERM)
            worker.process.wait(timeout=30)
            web.stop()
            runtime.engine.dispose()
    forget_redis_keys(stack_env["SYNDICATE_REDIS_URL"])


def gzipped(http: httpx.Client, path: str) -> tuple[bytes, str]:
    """The body as sent to a reader that accepts gzip, still compressed, and its encoding."""
    with http.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
        return b"".join(response.iter_raw()), response.headers.get("content-encoding", "")


def from_the_file(response: httpx.Response) -> bool:
    """nginx answered from the exported file, not by passing the request to the app."""
    return response.status_code == 200 and "x-request-id" not in response.headers


def test_nginx_serves_the_exported_feeds_byte_for_byte_as_the_app_does(
    exporting: Exporting,
) -> None:
    app, nginx = exporting.client, exporting.nginx
    published = article("static-1", title="Served by nginx", tags=["Harbour"])
    assert app.send(envelope(published)).status_code == 202
    paths = ["/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json"]
    paths += [p.replace("/feeds/", "/feeds/tags/harbour/") for p in paths]

    def all_exported() -> bool:
        # nginx keeps a file open for up to a second (open_file_cache), and the app its copy
        # of a feed for as long (SYNDICATE_FEED_CACHE_SECONDS): wait for both copies, plain
        # and gzipped, of every feed to be the exported ones, and for the app to serve them.
        return all(
            from_the_file(r := nginx.get(path, headers={"Accept-Encoding": encoding}))
            and b"Served by nginx" in r.content
            and app.http.get(path, headers={"Accept-Encoding": encoding}).content == r.content
            for path in paths
            for encoding in ("identity", "gzip")
        )

    wait_until(all_exported, timeout=30)
    for path in paths:
        plain = {"Accept-Encoding": "identity"}
        ours, theirs = app.http.get(path, headers=plain), nginx.get(path, headers=plain)
        assert theirs.content == ours.content, path
        assert theirs.headers["content-type"] == ours.headers["content-type"], path
        assert theirs.headers["last-modified"] == ours.headers["last-modified"], path
        assert theirs.headers["cache-control"] == ours.headers["cache-control"], path
        assert f'<{HUB}>; rel="hub"' in theirs.headers["link"], path
        assert f'<{nginx.base_url}{path}>; rel="self"' in theirs.headers["link"], path

        theirs_zipped, encoding = gzipped(nginx, path)
        assert encoding == "gzip" and theirs_zipped == gzipped(app.http, path)[0], path
        assert gzip.decompress(theirs_zipped) == ours.content, path

        for encoding in ("identity", "gzip"):
            sent = nginx.get(path, headers={"Accept-Encoding": encoding})
            etag, modified = sent.headers["etag"], sent.headers["last-modified"]
            for condition in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
                again = nginx.get(path, headers={"Accept-Encoding": encoding, **condition})
                assert again.status_code == 304, (path, encoding, condition)


def test_an_unpublished_article_is_gone_from_the_exported_files(exporting: Exporting) -> None:
    app, nginx = exporting.client, exporting.nginx
    assert app.send(envelope(article("static-2", title="Soon withdrawn"))).status_code == 202
    assert app.send(envelope(article("static-3", title="Stays up"))).status_code == 202
    wait_until(lambda: b"Soon withdrawn" in nginx.get("/feeds/atom.xml").content, timeout=30)
    withdrawn = envelope({"id": "static-2"}, event="article.unpublished")
    assert app.send(withdrawn).status_code == 202

    def withdrawn_everywhere() -> bool:
        served = nginx.get("/feeds/atom.xml")
        on_disk = (exporting.export_dir / "feeds/atom.xml.gz").read_bytes()
        return (
            from_the_file(served)
            and b"Soon withdrawn" not in served.content
            and b"Stays up" in served.content
            and b"Soon withdrawn" not in gzip.decompress(on_disk)
        )

    wait_until(withdrawn_everywhere, timeout=30)


def test_what_is_not_exported_is_answered_by_the_app(exporting: Exporting) -> None:
    nginx = exporting.nginx
    missing = nginx.get("/feeds/tags/nothing-here/rss.xml")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert nginx.get("/healthz").json() == {"status": "ok"}


def test_the_export_writes_atomically_and_prunes_feeds_that_no_longer_exist(
    tmp_path: Path,
) -> None:
    export = FeedExport(tmp_path)
    modified = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    export.write("tags/old/rss.xml", b"<rss/>", gzip.compress(b"<rss/>"), modified)
    export.write("rss.xml", b"<rss>site</rss>", gzip.compress(b"<rss>site</rss>"), modified)
    written = tmp_path / "feeds/rss.xml"
    assert written.read_bytes() == b"<rss>site</rss>"
    assert written.stat().st_mtime == modified.timestamp()
    assert sorted(p.name for p in (tmp_path / "feeds").iterdir()) == [
        "rss.xml",
        "rss.xml.gz",
        "tags",
    ]  # no temporary file left behind
    assert export.prune({"rss.xml"}) == ["tags/old/rss.xml"]
    assert not (tmp_path / "feeds/tags").exists()
    with pytest.raises(ValueError):
        export.path("../../etc/passwd")
