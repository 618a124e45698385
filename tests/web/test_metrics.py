"""/metrics: webhooks by outcome, feed requests and the 304 ratio, queue depth, task latency,
posts by status and deliveries by platform and outcome, in Prometheus' text format."""

from __future__ import annotations

import re
import uuid

import pytest
import redis

from syndicate import metrics
from syndicate.redis_keys import RedisKeys
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.conftest import METRICS_TOKEN, REDIS_PREFIX, REDIS_URL
from tests.servers import wait_until

SAMPLE = re.compile(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$")
pytestmark = pytest.mark.usefixtures("worker")


def scrape(client: Client) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for line in response.text.splitlines():
        if line.startswith("#") or not line:
            continue
        name, labels, value = SAMPLE.match(line).groups()  # type: ignore[union-attr]
        pairs = frozenset(re.findall(r'(\w+)="([^"]*)"', labels or ""))
        samples[(name, pairs)] = float(value)
    return samples


def value(samples: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_what_happened(client: Client) -> None:
    before = scrape(client)
    assert client.send(envelope(article("metric-1"))).status_code == 202
    assert client.send(envelope(article("metric-2")), signature="t=1,v1=forged").status_code == 401
    feed = wait_until(lambda: (r := client.http.get("/feeds/rss.xml")).status_code == 200 and r)
    again = client.http.get("/feeds/rss.xml", headers={"If-None-Match": feed.headers["etag"]})
    assert again.status_code == 304

    def moved() -> dict | None:  # type: ignore[type-arg]
        now = scrape(client)
        grew = (
            value(now, "syndicate_webhooks_total", endpoint="articles", status="202")
            > value(before, "syndicate_webhooks_total", endpoint="articles", status="202")
            and value(now, "syndicate_webhooks_total", endpoint="articles", status="401")
            > value(before, "syndicate_webhooks_total", endpoint="articles", status="401")
            and value(now, "syndicate_feed_requests_total", status="304")
            > value(before, "syndicate_feed_requests_total", status="304")
            and value(now, "syndicate_task_seconds_count", task="syndicate.compose_posts_of")
            > value(before, "syndicate_task_seconds_count", task="syndicate.compose_posts_of")
            and value(now, "syndicate_task_seconds_count", task="syndicate.rebuild_feeds")
            > value(before, "syndicate_task_seconds_count", task="syndicate.rebuild_feeds")
            # The auto-approved wire channel's post, delivered after it is composed.
            and value(now, "syndicate_deliveries_total", platform="webhook", outcome="sent") >= 1
        )
        return now if grew else None

    after = wait_until(moved, timeout=20)
    assert value(after, "syndicate_posts", status="pending_review") >= 1
    assert value(after, "syndicate_deliveries_total", platform="webhook", outcome="sent") >= 1
    assert ("syndicate_queue_depth", frozenset({("queue", "delivery")})) in after
    ratio = value(after, "syndicate_feed_not_modified_ratio")
    assert 0 < ratio < 1
    count = value(after, "syndicate_task_seconds_count", task="syndicate.rebuild_feeds")
    infinite = value(
        after, "syndicate_task_seconds_bucket", task="syndicate.rebuild_feeds", le="+Inf"
    )
    assert count == infinite >= 1


def test_task_latency_is_a_cumulative_histogram(runtime: Runtime) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    keys = RedisKeys(f"{REDIS_PREFIX}timings-{uuid.uuid4().hex}:")
    name = "syndicate.compose_posts"
    for seconds in (0.004, 0.03, 0.03, 0.7, 45.0):
        metrics.observe_task(client, keys, name, seconds)
    with runtime.factory() as session:
        page = metrics.render(session, client, keys, [])
    client.delete(keys.task_timings + name)
    bucket = re.compile(
        rf'^syndicate_task_seconds_bucket\{{le="([^"]+)",task="{name}"\}} (\S+)$', re.M
    )
    buckets = dict(bucket.findall(page))
    assert buckets == {
        "0.01": "1",
        "0.05": "3",
        "0.1": "3",
        "0.25": "3",
        "0.5": "3",
        "1": "4",
        "2.5": "4",
        "5": "4",
        "10": "4",
        "30": "4",
        "+Inf": "5",
    }
    assert f'syndicate_task_seconds_count{{task="{name}"}} 5' in page
