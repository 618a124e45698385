"""Webhook ingest: accepted requests per second and latency with concurrent senders (wrk
replaying pre-signed, distinct articles), then a check that nothing accepted was lost: every
202 has its stored delivery and article revision."""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

import redis
from sqlalchemy import func, select

from bench.feeds import serve
from bench.support import require, scratch_database
from syndicate import signatures
from syndicate.models import ArticleRevision, InboundDelivery
from syndicate.runtime import build_runtime
from syndicate.settings import Settings
from tests.client import article, envelope
from tests.servers import free_port

SECRET = "bench-secret-0123456789abcdef0123456789"
BROKER = os.environ.get("SYNDICATE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")


def write_requests(folder: Path, count: int, threads: int) -> str:
    """`count` distinct signed publishes, split into one file per wrk thread."""
    base = folder / "requests"
    files = [open(f"{base}.{n + 1}", "w", encoding="utf-8") for n in range(threads)]  # noqa: SIM115
    try:
        for n in range(count):
            art = article(f"ingest-{n}-{uuid.uuid4().hex[:6]}", tags=["Bench", f"Topic {n % 50}"])
            body = json.dumps(envelope(art)).encode()
            signature = signatures.sign(body, SECRET.encode())
            files[n % threads].write(f"{signature}\t{body.decode()}\n")
    finally:
        for handle in files:
            handle.close()
    return str(base)


def queued_articles(broker: redis.Redis) -> tuple[int, int]:
    """The messages waiting in the default queue, and how many articles they name."""
    messages = broker.lrange("celery", 0, -1)
    named = set()
    for raw in messages:
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        if isinstance(args[0], list):  # a batch's cards or posts: (article id, request id)s
            named.update(article_id for article_id, _request_id in args[0])
        else:  # an article's task, or a batch's feed rebuild naming every article
            named.update(args)
    return len(messages), len(named)


def run_wrk(url: str, script: Path, requests_base: str, connections: int, seconds: int) -> str:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        url,
        "--",
        requests_base,
    ]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=300_000, help="distinct articles signed")
    args = parser.parse_args()
    require("wrk")
    redis.Redis.from_url(BROKER).flushdb()
    with scratch_database() as url, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {
            "SYNDICATE_DATABASE_URL": url,
            "SYNDICATE_REDIS_URL": BROKER,
            "SYNDICATE_BASE_URL": f"http://127.0.0.1:{port}",
            "SYNDICATE_WEBHOOK_SECRETS": SECRET,
            "SYNDICATE_LOG_LEVEL": "WARNING",
        }
        print(f"signing {args.requests:,} distinct publishes ...", flush=True)
        base = write_requests(Path(tmp), args.requests, 2)
        web = serve(env, port, args.web_workers)
        try:
            output = run_wrk(
                f"http://127.0.0.1:{port}/hooks/articles",
                Path(__file__).with_name("ingest.lua"),
                base,
                args.connections,
                args.seconds,
            )
        finally:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait()
        statuses = {int(s): int(n) for s, n in re.findall(r"status (\d+) (\d+)", output)}
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
        latency = dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", output))
        runtime = build_runtime(Settings(database_url=url))
        with runtime.factory() as session:
            deliveries = session.scalar(select(func.count()).select_from(InboundDelivery))
            revisions = session.scalar(select(func.count()).select_from(ArticleRevision))
        queued, announced = queued_articles(redis.Redis.from_url(BROKER))
        runtime.engine.dispose()
    redis.Redis.from_url(BROKER).flushdb()
    accepted = statuses.get(202, 0)
    print(
        f"\nWebhook ingest: {args.connections} concurrent senders for {args.seconds} s, "
        f"{args.web_workers} web processes, wrk on the same machine"
    )
    print(f"  requests/s {rps:,.0f}   p50 {latency.get('50')}   p99 {latency.get('99')}")
    print(f"  answers by status: {dict(sorted(statuses.items()))}")
    print(f"  accepted {accepted:,}; stored deliveries {deliveries:,}, revisions {revisions:,}")
    print(
        f"  broker messages {queued:,} (one per batch of webhooks), naming {announced:,} "
        f"articles for the workers to fan out"
    )
    lost = accepted - min(deliveries or 0, revisions or 0, announced)
    print(f"  lost: {max(lost, 0)}   target: >= 1,000 requests/s with p99 under 50 ms")


if __name__ == "__main__":
    main()
