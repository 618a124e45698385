"""Memory: resident size of the web and worker processes (each with its children) when they
start, and after 10,000 articles have gone through the whole pipeline (feeds, cards, posts for
two channels) and every feed has been requested once."""

from __future__ import annotations

import argparse
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx

from bench.publish import CHANNELS
from bench.stack import Stack
from tests.client import article

TAGS = [f"Topic {n}" for n in range(100)]
AUTHORS = [f"Reporter {n}" for n in range(30)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--senders", type=int, default=8)
    args = parser.parse_args()
    with Stack(CHANNELS) as stack:
        time.sleep(2)
        at_start = stack.resident_mib()
        clients = [httpx.Client(base_url=stack.base_url, timeout=60) for _ in range(args.senders)]

        def publish(n: int) -> float:
            art = article(
                f"mem-{n}-{uuid.uuid4().hex[:6]}",
                tags=[TAGS[n % len(TAGS)], TAGS[(n * 7) % len(TAGS)]],
                authors=[{"name": AUTHORS[n % len(AUTHORS)]}],
                published_at=datetime.now(UTC).isoformat(timespec="microseconds"),
            )
            return stack.publish(art, clients[n % args.senders])

        started = time.perf_counter()
        with ThreadPoolExecutor(args.senders) as pool:
            list(pool.map(publish, range(args.articles)))
        while stack.unfinished():
            time.sleep(0.5)
        processed = time.perf_counter() - started
        paths = ["/feeds/rss.xml", "/feeds/atom.xml", "/feeds/feed.json"]
        for tag in TAGS:
            slug = tag.lower().replace(" ", "-")
            paths += [f"/feeds/tags/{slug}/{name}" for name in ("rss.xml", "atom.xml", "feed.json")]
        for path in paths:
            stack.http.get(path).raise_for_status()
        after = stack.resident_mib()
        for client in clients:
            client.close()
    print(f"\nMemory: {args.articles:,} articles through the pipeline in {processed:.0f} s")
    print(f"  {'':8} {'at start':>10} {'after':>10}")
    for name in ("web", "worker"):
        print(f"  {name:8} {at_start[name]:8.0f} MiB {after[name]:7.0f} MiB")
    print(f"  ({len(paths)} feeds served once before the second reading)")


if __name__ == "__main__":
    main()
