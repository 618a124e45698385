"""Prometheus metrics for the whole installation, however many processes it runs.

Counters live in Redis, so every web process and worker adds to the same numbers; the rest
(posts by status, deliveries by platform and outcome, queue depth) is read at scrape time
from the database and the broker, which already hold the truth."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syndicate.models import Delivery, Post, Purge
from syndicate.redis_keys import RedisKeys

TASK_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def observe_task(client: redis.Redis, keys: RedisKeys, task: str, seconds: float) -> None:
    key = keys.task_timings + task
    try:
        with client.pipeline(transaction=False) as pipe:
            pipe.hincrby(key, "count", 1)
            pipe.hincrbyfloat(key, "sum", seconds)
            # Only the bucket the task falls in: the page adds them up (Prometheus's are
            # cumulative), so a task costs three writes whatever the number of buckets.
            bound = next((b for b in TASK_BUCKETS if seconds <= b), None)
            if bound is not None:
                pipe.hincrby(key, f"in_{bound}", 1)
            pipe.execute()
    except redis.RedisError:
        pass


class BufferedCounter:
    """Counts kept in memory and added to a Redis hash about once a second by a background
    thread, so a request never waits on Redis and metrics never fail one."""

    def __init__(self, client: redis.Redis, key: str, interval: float = 1.0) -> None:
        self.client = client
        self.key = key
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.scheduled = False

    def add(self, field: str) -> None:
        with self.lock:  # so that no count lands in a Counter that flush() has taken
            self.counts[field] += 1
            if self.scheduled:
                return
            self.scheduled = True
        timer = threading.Timer(self.interval, self.flush)
        timer.daemon = True
        timer.start()

    def flush(self) -> None:
        with self.lock:
            self.scheduled = False
            pending, self.counts = self.counts, Counter()
        # Outside the lock: a request never waits while Redis is slow.
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for field, n in pending.items():
                    pipe.hincrby(self.key, field, n)
                pipe.execute()
        except redis.RedisError:
            with self.lock:
                self.counts.update(pending)


def _line(name: str, value: float, labels: dict[str, str] | None = None) -> str:
    if labels:
        shown = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
        return f"{name}{{{shown}}} {value:g}"
    return f"{name} {value:g}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _text(value: bytes | str) -> str:
    """A key or field as Redis returned it (bytes, unless the client decodes)."""
    return value.decode() if isinstance(value, bytes) else value


def _family(name: str, kind: str, help_text: str, lines: Iterable[str]) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}", *lines]


def render(session: Session, client: redis.Redis, keys: RedisKeys, queues: Iterable[str]) -> str:
    out: list[str] = []
    webhooks = {_text(k): int(v) for k, v in client.hgetall(keys.webhook_counts).items()}
    out += _family(
        "syndicate_webhooks_total",
        "counter",
        "Webhook requests by endpoint and HTTP status.",
        (
            _line(
                "syndicate_webhooks_total",
                n,
                {"endpoint": k.split("|")[0], "status": k.split("|")[1]},
            )
            for k, n in sorted(webhooks.items())
        ),
    )
    feeds = {_text(k): int(v) for k, v in client.hgetall(keys.feed_counts).items()}
    out += _family(
        "syndicate_feed_requests_total",
        "counter",
        "Feed requests answered from stored bytes, by status (304: the reader's copy was current).",
        (
            _line("syndicate_feed_requests_total", feeds.get(s, 0), {"status": s})
            for s in ("200", "304")
        ),
    )
    answered = feeds.get("200", 0) + feeds.get("304", 0)
    out += _family(
        "syndicate_feed_not_modified_ratio",
        "gauge",
        "Share of feed requests answered 304 Not Modified.",
        [
            _line(
                "syndicate_feed_not_modified_ratio",
                feeds.get("304", 0) / answered if answered else 0,
            )
        ],
    )
    out += _family(
        "syndicate_queue_depth",
        "gauge",
        "Tasks waiting in each broker queue.",
        (_line("syndicate_queue_depth", client.llen(keys.queue(q)), {"queue": q}) for q in queues),
    )
    by_status = session.execute(select(Post.status, func.count()).group_by(Post.status)).all()
    out += _family(
        "syndicate_posts",
        "gauge",
        "Posts by status.",
        (_line("syndicate_posts", n, {"status": s}) for s, n in sorted(by_status)),
    )
    attempts = session.execute(
        select(Post.platform, Delivery.outcome, func.count())
        .join(Post, Delivery.post_id == Post.id)
        .group_by(Post.platform, Delivery.outcome)
    ).all()
    out += _family(
        "syndicate_deliveries_total",
        "counter",
        "Delivery attempts by platform and outcome.",
        (
            _line("syndicate_deliveries_total", n, {"platform": p, "outcome": o})
            for p, o, n in sorted(attempts)
        ),
    )
    purges = session.execute(
        select(Purge.cache, Purge.status, func.count()).group_by(Purge.cache, Purge.status)
    ).all()
    out += _family(
        "syndicate_purges",
        "gauge",
        "Edge-cache purges by cache and status (pending ones are still being retried).",
        (_line("syndicate_purges", n, {"cache": c, "status": s}) for c, s, n in sorted(purges)),
    )
    histogram = []
    for key in sorted(client.scan_iter(match=keys.task_timings + "*")):
        task = _text(key)[len(keys.task_timings) :]
        fields = {_text(k): float(v) for k, v in client.hgetall(key).items()}
        up_to = 0.0
        for bound in TASK_BUCKETS:
            up_to += fields.get(f"in_{bound}", 0)
            histogram.append(
                _line("syndicate_task_seconds_bucket", up_to, {"task": task, "le": f"{bound:g}"})
            )
        histogram.append(
            _line(
                "syndicate_task_seconds_bucket",
                fields.get("count", 0),
                {"task": task, "le": "+Inf"},
            )
        )
        histogram.append(_line("syndicate_task_seconds_sum", fields.get("sum", 0), {"task": task}))
        histogram.append(
            _line("syndicate_task_seconds_count", fields.get("count", 0), {"task": task})
        )
    out += _family(
        "syndicate_task_seconds", "histogram", "How long each kind of task took.", histogram
    )
    return "\n".join(out) + "\n"
