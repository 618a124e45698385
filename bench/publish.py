"""Publish to feed: the time from a webhook's 202 to the site feed served with the article in it,
with one worker process, at a steady rate and then in a burst of 1,000 articles.

A reader polls `/feeds/feed.json` as fast as it can and notes when each article first appears;
the figures include the web process's feed cache (`SYNDICATE_FEED_CACHE_SECONDS`, 1 s by
default), since that is what subscribers see. Targets: p99 under 250 ms at 5 articles a
second, and a burst of 1,000 fully processed (feeds, card and posts) within 30 s with nothing
lost.
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from bench.stack import Stack
from bench.support import percentile, summary_ms
from syndicate.feeds.model import article_guid
from syndicate.models import Article, Post
from tests.client import article

CHANNELS = """
[[channels]]
name = "mastodon"
platform = "mastodon"
url = "http://127.0.0.1:9"

[[channels]]
name = "bluesky"
platform = "bluesky"
url = "http://127.0.0.1:9"
"""


class FeedWatcher:
    """Polls the site JSON Feed and records when each item id is first seen."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.seen: dict[str, float] = {}
        self.polls = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stopping.is_set():
            response = self.http.get("/feeds/feed.json")
            now = time.perf_counter()
            self.polls += 1
            if response.status_code == 200:
                for item in response.json()["items"]:
                    self.seen.setdefault(item["id"], now)

    def __enter__(self) -> FeedWatcher:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()
        self.http.close()


def new_article() -> dict[str, object]:
    """A fresh story: published now, so it goes to the top of the site feed."""
    published = datetime.now(UTC).isoformat(timespec="microseconds")
    return article(
        f"pub-{uuid.uuid4().hex[:10]}", tags=["Bench", "Breaking"], published_at=published
    )


def item_id(stack: Stack, article_id: str) -> str:
    return article_guid(stack.base_url, article_id)


def steady(stack: Stack, rate: float, seconds: int) -> None:
    answered: dict[str, float] = {}
    with FeedWatcher(stack.base_url) as watcher:
        interval, start = 1 / rate, time.perf_counter()
        for n in range(int(rate * seconds)):
            time.sleep(max(0.0, start + n * interval - time.perf_counter()))
            art = new_article()
            answered[str(art["id"])] = stack.publish(art)
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline and not _all_seen(stack, watcher, answered):
            time.sleep(0.05)
    delays = _delays(stack, watcher, answered)
    missing = len(answered) - len(delays)
    print(f"\nSteady: {rate:g} articles/s for {seconds} s ({len(answered)} articles)")
    print(f"  202 -> in the served feed: {summary_ms(delays)}")
    print(f"  missing from the feed after 30 s: {missing}   feed polls: {watcher.polls:,}")
    print(f"  target p99 < 250 ms: {'met' if percentile(delays, 99) < 0.25 else 'NOT met'}")


def burst(stack: Stack, count: int, senders: int) -> None:
    arts = [new_article() for _ in range(count)]
    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        clients = [httpx.Client(base_url=stack.base_url, timeout=30) for _ in range(senders)]
        answered = list(
            pool.map(
                lambda pair: stack.publish(pair[1], clients[pair[0] % senders]), enumerate(arts)
            )
        )
        for client in clients:
            client.close()
    sent = time.perf_counter()
    while stack.unfinished() and time.perf_counter() - started < 300:
        time.sleep(0.1)
    done = time.perf_counter()
    left = stack.unfinished()
    with stack.runtime.factory() as session:
        stored = session.scalar(select(func.count()).select_from(Article)) or 0
        posts = session.scalar(select(func.count()).select_from(Post)) or 0
    print(f"\nBurst: {count:,} articles from {senders} concurrent senders")
    print(f"  all 202s after {sent - started:6.1f} s ({count / (sent - started):,.0f} publishes/s)")
    print(
        f"  fully processed (feeds, card, posts) after {done - started:6.1f} s; "
        f"last 202 -> done {done - max(answered):5.1f} s"
    )
    print(f"  articles stored {stored:,}, posts composed {posts:,}, unfinished {left}")
    met = done - started < 30 and not left and stored == count
    print(f"  target: all within 30 s, none lost: {'met' if met else 'NOT met'}")


def _all_seen(stack: Stack, watcher: FeedWatcher, answered: dict[str, float]) -> bool:
    return all(item_id(stack, a) in watcher.seen for a in answered)


def _delays(stack: Stack, watcher: FeedWatcher, answered: dict[str, float]) -> list[float]:
    return [
        watcher.seen[item_id(stack, a)] - at
        for a, at in answered.items()
        if item_id(stack, a) in watcher.seen
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=5.0, help="steady publishes per second")
    parser.add_argument("--seconds", type=int, default=60, help="0 skips the steady run")
    parser.add_argument("--burst", type=int, default=1000, help="0 skips the burst")
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=2, help="the worker's processes")
    parser.add_argument("--feed-cache-seconds", type=float, default=None)
    args = parser.parse_args()
    env = {}
    if args.feed_cache_seconds is not None:
        env["SYNDICATE_FEED_CACHE_SECONDS"] = str(args.feed_cache_seconds)
    print(
        f"one worker with {args.concurrency} processes, one web process, "
        f"feed cache {args.feed_cache_seconds if args.feed_cache_seconds is not None else 1.0} s"
    )
    if args.seconds:
        with Stack(CHANNELS, concurrency=args.concurrency, env=env) as stack:
            steady(stack, args.rate, args.seconds)
    if args.burst:
        with Stack(CHANNELS, concurrency=args.concurrency, env=env) as stack:
            burst(stack, args.burst, args.senders)


if __name__ == "__main__":
    main()
