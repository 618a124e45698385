"""Feed benchmarks.

1. Rebuild: the time to rebuild every feed one newly published article is in, with 1,000 and
   then 100,000 articles in PostgreSQL (target: under 100 ms, and independent of the count).
2. Serving: requests per second and p99 for the site RSS feed with 64 concurrent clients, full
   responses and 304s, from Syndicate itself, from nginx serving Syndicate's static export, and
   from Varnish in front of Syndicate, each against nginx serving the same bytes as a static
   file, with identical requests and with readers that each send their own User-Agent
   (targets: export 0.95, Varnish 0.8, Syndicate 0.3 as a floor).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from bench.support import require, scratch_database, summary_ms, wrk
from syndicate.articles import receive
from syndicate.cms import parse_generic
from syndicate.embedded import free_port
from syndicate.feeds.build import rebuild_for_article
from syndicate.feeds.content import safe_html
from syndicate.feeds.export import FeedExport
from syndicate.feeds.scopes import scopes_of
from syndicate.heap import freeze_startup_heap
from syndicate.models import Article, Feed, FeedMembership, utcnow
from syndicate.runtime import Runtime, build_runtime
from syndicate.settings import Settings
from tests.peers.nginx import Nginx
from tests.peers.varnish import Varnish

HUB = "https://hub.example/"
TAGS = [f"Topic {n}" for n in range(200)]
AUTHORS = [f"Reporter {n}" for n in range(50)]
SECTIONS = [f"Section {n}" for n in range(10)]
BODY = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20 + "</p>"
SAFE_BODY = safe_html(BODY, "https://news.example/")


def seed(runtime: Runtime, start: int, count: int, page_size: int) -> None:
    """Insert articles with their feed memberships directly, as if published long ago."""
    rng = random.Random(start)
    base = datetime(2020, 1, 1, tzinfo=UTC)
    with runtime.factory.begin() as session:
        feeds = {f.scope: f for f in session.query(Feed)}
        for offset in range(0, count, 2000):
            articles, memberships = [], []
            for n in range(start + offset, start + min(offset + 2000, count)):
                published = base + timedelta(minutes=30 * n)
                article = Article(
                    id=f"seed-{n}",
                    status="published",
                    revision=1,
                    content_hash=str(n),
                    url=f"https://news.example/{n}",
                    title=f"Seeded article number {n}",
                    summary="A seeded summary.",
                    content_html=BODY,
                    feed_html=SAFE_BODY,  # as the pipeline stored it when it was published
                    authors=[{"name": rng.choice(AUTHORS)}],
                    tags=rng.sample(TAGS, 3),
                    section=rng.choice(SECTIONS),
                    published_at=published,
                    version=1,
                    feeds_version=1,
                    card_version=1,
                    posts_version=1,
                    changed_at=published,
                    created_at=published,
                    image_alt="",
                )
                articles.append(article)
                for scope in scopes_of(article, "Bench"):
                    feed = feeds.get(scope.key)
                    if feed is None:
                        feed = feeds[scope.key] = Feed(
                            scope=scope.key,
                            kind=scope.kind,
                            name=scope.name,
                            updated_at=published,
                            last_seq=0,
                            generation=0,
                            built_generation=0,
                        )
                        session.add(feed)
                    feed.last_seq += 1
                    memberships.append(
                        {
                            "scope": scope.key,
                            "article_id": article.id,
                            "published_at": published,
                            "seq": feed.last_seq,
                        }
                    )
            session.execute(insert(Article), [_row(a) for a in articles])
            session.execute(insert(FeedMembership), memberships)
        for feed in feeds.values():
            feed.generation = feed.built_generation = feed.generation + 1


def settle(runtime: Runtime) -> None:
    """What autovacuum does soon after a bulk load, done now so it does not run mid-timing."""
    with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def _row(article: Article) -> dict[str, Any]:
    return {c.key: getattr(article, c.key) for c in Article.__table__.columns}


def time_rebuilds(runtime: Runtime, runs: int, label: str) -> tuple[list[float], list[float]]:
    """For each run, the time until the current feeds are stored (when readers and hubs hear of
    them), and until the whole rebuild is done, archive pages that filled up included."""
    current, whole = [], []
    for n in range(runs):
        payload = {
            "delivery_id": f"{label}-{n}",
            "event": "article.published",
            "article": {
                "id": f"{label}-{n}",
                "url": f"https://news.example/{label}/{n}",
                "title": f"Fresh article {n}",
                "summary": "Just in.",
                "content_html": BODY,
                "authors": [{"name": AUTHORS[n % 50]}],
                "tags": TAGS[n % 200 : n % 200 + 3],
                "section": SECTIONS[n % 10],
                "published_at": utcnow().isoformat(),
            },
        }
        receive(runtime.factory, parse_generic(payload), utcnow())
        started = time.perf_counter()

        def current_stored(_urls: list[str], started: float = started) -> None:
            current.append(time.perf_counter() - started)

        rebuild_for_article(
            runtime.factory,
            f"{label}-{n}",
            runtime.config.site,
            runtime.feed_settings,
            utcnow(),
            current_stored=current_stored,
        )
        whole.append(time.perf_counter() - started)
    return current, whole


def print_rebuilds(articles: int, timings: tuple[list[float], list[float]]) -> None:
    current, whole = timings
    print(f"  with {articles:>7,} articles: current feeds stored  {summary_ms(current)}")
    print(f"  {'':>21}  with archive pages     {summary_ms(whole)}")


def serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "syndicate.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("syndicate serve did not start")


def nginx(root: Path, port: int) -> tuple[subprocess.Popen[bytes], int]:
    conf = root / "nginx.conf"
    conf.write_text(f"""
worker_processes auto;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log;
user root;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  types {{ application/rss+xml xml; }}
  server {{
    listen 127.0.0.1:{port};
    root {root}/static;
    etag on;
    # As config/nginx.conf serves the export: open files kept for a second.
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 1s;
  }}
}}
""")
    process = subprocess.Popen(["nginx", "-c", str(conf)], start_new_session=True)
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/feeds/rss.xml")
            return process, port
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start")


READERS = Path(__file__).with_name("readers.lua")


def measure_serving(runtime: Runtime, env: dict[str, str], args: argparse.Namespace) -> None:
    """The site RSS feed from four servers, against nginx serving the same bytes as a plain
    static file: Syndicate's own route, nginx serving Syndicate's export with
    config/nginx.conf, and Varnish (config/varnish.vcl) in front of Syndicate. Each is asked
    the same request again and again, and by distinct readers (a User-Agent each, as real
    feed readers send), for full responses and for 304s."""
    port = int(env["BENCH_PORT"])
    web = serve(env, port, args.web_workers)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ours = f"http://127.0.0.1:{port}/feeds/rss.xml"
        body = httpx.get(ours, headers={"Accept-Encoding": "identity"}).content
        (root / "static/feeds").mkdir(parents=True)
        (root / "static/feeds/rss.xml").write_bytes(body)
        with runtime.factory() as session:
            FeedExport(root / "export").write_stored(session, ["rss.xml"])
        (root / "nginx").mkdir()
        (root / "varnish").mkdir()
        static, static_port = nginx(root, free_port())
        export = Nginx(root / "nginx", root / "export", port, free_port(), HUB).start()
        varnish = Varnish(root / "varnish", port, free_port()).start()
        urls = {
            "nginx": f"http://127.0.0.1:{static_port}/feeds/rss.xml",
            "syndicate": ours,
            "nginx export": f"{export.url}/feeds/rss.xml",
            "varnish": f"{varnish.url}/feeds/rss.xml",
        }
        try:
            for url in urls.values():  # warm every cache
                httpx.get(url, headers={"Accept-Encoding": "identity"})
            # Rounds alternate between the servers, so a slow moment of the machine falls on
            # all of them; each figure is the median over the rounds.
            runs: dict[tuple[str, str, str], list[dict[str, float]]] = {}
            for _round in range(args.rounds):
                for name, url in urls.items():
                    etag = httpx.get(url, headers={"Accept-Encoding": "identity"}).headers["etag"]
                    for readers in ("identical", "distinct"):
                        for kind in ("200", "304"):
                            runs.setdefault((name, readers, kind), []).append(
                                _load(url, args, readers, etag if kind == "304" else "")
                            )
        finally:
            static.send_signal(signal.SIGQUIT)
            static.wait()
            export.stop()
            varnish.stop()
            os.killpg(web.pid, signal.SIGTERM)
            web.wait()
    _print_serving(body, args, {key: _median_run(got) for key, got in runs.items()})


def _load(url: str, args: argparse.Namespace, readers: str, etag: str) -> dict[str, float]:
    if readers == "identical":
        headers = {"If-None-Match": etag} if etag else {}
        return wrk(url, args.connections, args.seconds, headers)
    return wrk(url, args.connections, args.seconds, {}, READERS, (etag,))


def _print_serving(
    body: bytes, args: argparse.Namespace, results: dict[tuple[str, str, str], dict[str, float]]
) -> None:
    print(
        f"\nServing the site RSS feed ({len(body):,} bytes), {args.connections} connections, "
        f"{args.seconds} s each, median of {args.rounds} alternating rounds, wrk on the same "
        f"machine; syndicate with {args.web_workers} web processes"
    )
    print(
        f"{'server':<13} {'readers':<10} {'full req/s':>11} {'p99 ms':>8} {'ratio':>6} "
        f"{'304 req/s':>11} {'p99 ms':>8} {'ratio':>6}"
    )
    for (name, readers, kind), _ in sorted(results.items()):
        if kind != "200":
            continue
        full, nm = results[(name, readers, "200")], results[(name, readers, "304")]
        base_full = results[("nginx", readers, "200")]["rps"]
        base_nm = results[("nginx", readers, "304")]["rps"]
        print(
            f"{name:<13} {readers:<10} {full['rps']:>11,.0f} {full['p99_ms']:>8.2f} "
            f"{full['rps'] / base_full:>6.2f} {nm['rps']:>11,.0f} {nm['p99_ms']:>8.2f} "
            f"{nm['rps'] / base_nm:>6.2f}"
        )
        if full["errors"] or nm["errors"]:
            print(f"  {name}: {full['errors']:.0f} + {nm['errors']:.0f} non-2xx/3xx answers")
    print("ratios are to nginx serving the same bytes as a static file, with the same readers;")
    print("targets: nginx export >= 0.95, varnish >= 0.80, syndicate >= 0.30 (a floor)")


def _median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median rate, so its latencies belong to that rate."""
    return sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    require("wrk", "nginx")
    with scratch_database() as url:
        port = free_port()
        env = {
            "SYNDICATE_DATABASE_URL": url,
            "SYNDICATE_BASE_URL": f"http://127.0.0.1:{port}",
            "BENCH_PORT": str(port),
        }
        settings = Settings(database_url=url, base_url=env["SYNDICATE_BASE_URL"])
        runtime = build_runtime(settings)
        page = settings.feed_archive_page_size
        print(
            f"Rebuild after one publish (3 tags, 1 author, 1 section: 6 feeds x 3 formats, "
            f"{settings.feed_items} items each)"
        )
        seed(runtime, 0, 1_000, page)
        settle(runtime)
        freeze_startup_heap()  # as every worker process does once it has started
        print_rebuilds(1_000, time_rebuilds(runtime, args.runs, "a"))
        started = time.perf_counter()
        seed(runtime, 1_000, args.articles - 1_000, page)
        settle(runtime)
        print(f"  (seeded {args.articles:,} articles in {time.perf_counter() - started:.0f} s)")
        print_rebuilds(args.articles, time_rebuilds(runtime, args.runs, "b"))
        measure_serving(runtime, env, args)
        runtime.engine.dispose()


if __name__ == "__main__":
    main()
