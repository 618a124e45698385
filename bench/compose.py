"""Posts composed per second, per platform and across all of them (no database, no network):
tricky titles and summaries that often need shortening, through the real templates."""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime

import requests

from syndicate.compose import compose
from syndicate.config import ChannelConfig
from syndicate.models import Article
from syndicate.platforms import PLATFORMS
from syndicate.settings import Settings

WORDS = [
    "council",
    "東京",
    "río",
    "crossing",
    "budget",
    "👨‍👩‍👧‍👦",
    "vote",
    "שלום",
    "bridge",
    "Zürich",
    "café",
    "AT&T",
    "(revised)",
    "<b>",
    "🇯🇵",
    "final",
    "report",
    "année",
]


def articles(count: int) -> list[Article]:
    rng = random.Random(7)
    made = []
    for n in range(count):
        made.append(
            Article(
                id=f"a{n}",
                status="published",
                revision=1,
                version=1,
                url=f"https://news.example.com/2026/{n}?ref=home",
                title=" ".join(rng.choices(WORDS, k=rng.randint(4, 40))),
                summary=". ".join(
                    " ".join(rng.choices(WORDS, k=12)) for _ in range(rng.randint(1, 30))
                ),
                authors=[{"name": "Ada", "handles": {"mastodon": "@ada@news.example.com"}}],
                tags=rng.sample(
                    ["Local Politics", "C++", "Clinical Trials", "Transport", "2026"], 3
                ),
                section="City",
                image_url=None,
                image_alt="",
                language="en",
                published_at=datetime.now(UTC),
            )
        )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()
    templates = Settings().templates_dir
    sample = articles(args.articles)
    total_posts, total_seconds = 0, 0.0
    print(f"Composing {args.articles} articles per platform")
    print(f"{'platform':<10} {'posts/s':>9} {'shortened':>10}")
    for name, cls in sorted(PLATFORMS.items()):
        channel = ChannelConfig(
            name=name, platform=name, url="", tracking={"utm_source": name, "utm_medium": "social"}
        )
        adapter = cls(channel, requests.Session())
        started = time.perf_counter()
        shortened = sum(
            compose(a, channel, adapter, templates).draft.extras["article"]["summary"] != a.summary
            for a in sample
        )
        elapsed = time.perf_counter() - started
        total_posts += len(sample)
        total_seconds += elapsed
        print(f"{name:<10} {len(sample) / elapsed:>9,.0f} {shortened / len(sample):>9.0%}")
    print(f"{'all':<10} {total_posts / total_seconds:>9,.0f}   (one process, one core)")


if __name__ == "__main__":
    main()
