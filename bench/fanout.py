"""Fan-out: one article to 20 auto-approved channels (two of each of ten platforms), all served
by loopback servers that speak each platform's API. Measures, per article, the time from the
webhook's 202 until all 20 posts are composed, and until all 20 are delivered; then checks that
each platform received each post exactly once."""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from bench.stack import Stack
from bench.support import summary_ms
from syndicate.models import Post, PostStatus
from tests.client import article
from tests.fakes.pds import HANDLE, PASSWORD, FakePDS
from tests.fakes.receiver import Received, Receiver

PAGE, THREADS_USER, TELEGRAM_TOKEN = "1234567890", "17841400000", "TOKEN-123"
# The request that creates a post on each platform: counted to prove nothing went out twice.
CREATES = {
    "/api/v1/statuses": "mastodon",
    "/2/tweets": "x",
    "/rest/posts": "linkedin",
    f"/{PAGE}/feed": "facebook",
    f"/{THREADS_USER}/threads_publish": "threads",
    f"/bot{TELEGRAM_TOKEN}/sendMessage": "telegram",
    "/api/webhooks/99/secret-token?wait=true": "discord",
    "/services/T000/B000/XXXX": "slack",
    "/hook": "webhook",
}


def answer(request: Received) -> tuple[Any, ...]:
    """Each platform's documented answer to a successful call."""
    path = request.path
    numbered = uuid.uuid4().int % 10**18
    if path == "/api/v1/statuses":
        return 200, json.dumps(
            {"id": str(numbered), "url": f"https://m.example/@n/{numbered}"}
        ).encode()
    if path == "/2/tweets":
        return 201, json.dumps({"data": {"id": str(numbered), "text": ""}}).encode()
    if path == "/rest/posts":
        return 201, b"", {"x-restli-id": f"urn:li:share:{numbered}"}
    if path == "/rest/images?action=initializeUpload":
        upload = f"http://{request.headers['host']}/dms-uploads/{numbered}"
        value = {"uploadUrl": upload, "image": f"urn:li:image:{numbered}"}
        return 200, json.dumps({"value": value}).encode()
    if path.startswith("/dms-uploads/"):
        return 201, b""
    if path == f"/{PAGE}/feed":
        return 200, json.dumps({"id": f"{PAGE}_{numbered}"}).encode()
    if path == f"/{THREADS_USER}/threads":
        return 200, b'{"id": "container-1"}'
    if path.startswith("/container-1?"):
        return 200, b'{"status": "FINISHED", "id": "container-1"}'
    if path == f"/{THREADS_USER}/threads_publish":
        return 200, json.dumps({"id": f"media-{numbered}"}).encode()
    if path.startswith("/media-"):
        return 200, b'{"permalink": "https://www.threads.net/@g/post/1"}'
    if path == f"/bot{TELEGRAM_TOKEN}/sendMessage":
        result = {"message_id": numbered % 10**6, "chat": {"id": -100, "username": "gazette"}}
        return 200, json.dumps({"ok": True, "result": result}).encode()
    if path.startswith("/api/webhooks/"):
        return 200, json.dumps({"id": str(numbered), "channel_id": "99"}).encode()
    if path.startswith("/services/"):
        return 200, b"ok"
    if path == "/hook":
        return 200, b'{"ok": true}'
    return 404, b'{"error": "not found"}'


def channels(platforms: Receiver, pds: FakePDS) -> str:
    url = platforms.url
    kinds = [
        ("mastodon", url, "", "FANOUT_TOKEN"),
        ("bluesky", pds.url, HANDLE, "FANOUT_BSKY"),
        ("x", url, "", "FANOUT_TOKEN"),
        ("linkedin", url, "urn:li:organization:42", "FANOUT_TOKEN"),
        ("facebook", url, PAGE, "FANOUT_TOKEN"),
        ("threads", url, THREADS_USER, "FANOUT_TOKEN"),
        ("telegram", url, "@gazette", "FANOUT_TELEGRAM"),
        ("discord", "", "", "FANOUT_DISCORD"),
        ("slack", "", "", "FANOUT_SLACK"),
        ("webhook", f"{url}/hook", "", "FANOUT_TOKEN"),
    ]
    tables = []
    for copy in (1, 2):
        for platform, base, target, secret in kinds:
            tables.append(
                f'[[channels]]\nname = "{platform}-{copy}"\nplatform = "{platform}"\n'
                f'url = "{base}"\ntarget = "{target}"\nsecret_env = "{secret}"\n'
                f"auto_approve = true\n"
            )
    return "\n".join(tables)


def counts(stack: Stack, article_id: str) -> tuple[int, int]:
    with stack.runtime.factory() as session:
        composed = session.scalar(
            select(func.count()).select_from(Post).where(Post.article_id == article_id)
        )
        sent = session.scalar(
            select(func.count())
            .select_from(Post)
            .where(Post.article_id == article_id, Post.status == PostStatus.SENT)
        )
    return composed or 0, sent or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=20, help="published one after another")
    parser.add_argument("--concurrency", type=int, default=2, help="the worker's processes")
    args = parser.parse_args()
    platforms, pds = Receiver(answer).start(), FakePDS()
    secrets = {
        "FANOUT_TOKEN": "user-token",
        "FANOUT_BSKY": PASSWORD,
        "FANOUT_TELEGRAM": TELEGRAM_TOKEN,
        "FANOUT_DISCORD": f"{platforms.url}/api/webhooks/99/secret-token",
        "FANOUT_SLACK": f"{platforms.url}/services/T000/B000/XXXX",
    }
    os.environ.update(secrets)
    composed_after, delivered_after = [], []
    try:
        with Stack(channels(platforms, pds), concurrency=args.concurrency) as stack:
            for _ in range(args.articles):
                art = article(f"fan-{uuid.uuid4().hex[:10]}", tags=["Bench", "Breaking"])
                answered = stack.publish(art)
                composed_at = None
                while time.perf_counter() - answered < 120:
                    composed, sent = counts(stack, str(art["id"]))
                    now = time.perf_counter()
                    if composed == 20 and composed_at is None:
                        composed_at = now
                    if sent == 20:
                        break
                    time.sleep(0.01)
                else:
                    raise RuntimeError(f"article {art['id']}: only {sent} of 20 posts delivered")
                composed_after.append((composed_at or now) - answered)
                delivered_after.append(now - answered)
    finally:
        platforms.stop()
        pds.stop()
    received = Counter(CREATES[r.path] for r in platforms.received() if r.path in CREATES)
    received["bluesky"] = len(pds.records)
    print(f"\nFan-out: {args.articles} articles, one after another, each to 20 channels")
    print(f"  202 -> all 20 posts composed:  {summary_ms(composed_after)}")
    print(f"  202 -> all 20 posts delivered: {summary_ms(delivered_after)}")
    expected = 2 * args.articles
    wrong = {p: n for p, n in received.items() if n != expected}
    print(
        f"  posts received per platform: {expected} expected, "
        f"{'all exactly once' if not wrong and len(received) == 10 else f'WRONG: {wrong}'}"
    )


if __name__ == "__main__":
    main()
