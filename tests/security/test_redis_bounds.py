"""Nothing an anonymous request sends can grow what the installation keeps in Redis, and
installations sharing one Redis never see each other's keys, announcements or tasks."""

from __future__ import annotations

import uuid

import redis

from syndicate.feeds.announcements import announce_change
from syndicate.redis_keys import RedisKeys
from syndicate.runtime import Runtime
from syndicate.settings import Settings
from syndicate.web.feedcache import FeedCache
from tests.client import Client
from tests.conftest import REDIS_PREFIX
from tests.servers import wait_until
from workers.app import make_celery

KNOWN_ENDPOINTS = {"articles", "ghost", "wordpress", "other"}


def test_made_up_webhook_paths_are_counted_under_one_label(
    client: Client, runtime: Runtime
) -> None:
    broker = redis.Redis.from_url(runtime.settings.broker_url)
    key = RedisKeys(runtime.settings.redis_key_prefix).webhook_counts

    def other_404s() -> int:
        return int(broker.hget(key, "other|404") or 0)

    before = other_404s()
    for _ in range(40):
        assert client.http.post(f"/hooks/{uuid.uuid4().hex}{'x' * 2000}").status_code == 404
    wait_until(lambda: other_404s() >= before + 40)
    labels = {field.decode().split("|")[0] for field in broker.hkeys(key)}
    assert labels <= KNOWN_ENDPOINTS
    operator = {"Authorization": f"Bearer {client.token}"}
    metrics = client.http.get("/metrics", headers=operator).text
    assert len(metrics) < 20_000 and "xxxx" not in metrics


def test_feed_announcements_reach_only_the_installation_that_made_them(
    runtime: Runtime,
) -> None:
    ours = RedisKeys(f"{REDIS_PREFIX}ours-{uuid.uuid4().hex[:6]}:")
    theirs = RedisKeys(f"{REDIS_PREFIX}theirs-{uuid.uuid4().hex[:6]}:")
    broker = redis.Redis.from_url(runtime.settings.broker_url)
    cache = FeedCache(runtime.factory, ttl=60)
    cache.listen(runtime.settings.broker_url, ours.feeds_changed)
    # Once subscribed, the cache forgets what it holds once (it may have missed something).
    wait_until(lambda: broker.pubsub_numsub(ours.feeds_changed)[0][1] >= 1)
    wait_until(lambda: cache.generation == 1)

    for listening in (1, 2):
        # Delivered in the order published: theirs would arrive before ours.
        announce_change(broker, theirs.feeds_changed)
        announce_change(broker, ours.feeds_changed)
        wait_until(lambda listening=listening: cache.generation > listening)
        assert cache.generation == listening + 1


def test_celery_queues_carry_the_installation_prefix(runtime: Runtime) -> None:
    prefix = f"{REDIS_PREFIX}queues-{uuid.uuid4().hex[:6]}:"
    settings = Settings(redis_url=runtime.settings.broker_url, redis_prefix=prefix)
    broker = redis.Redis.from_url(settings.broker_url)
    celery = make_celery(settings)
    unprefixed = broker.llen("delivery")
    celery.send_task("syndicate.deliver_post", [2**31 - 1])
    assert broker.llen(RedisKeys(prefix).queue("delivery")) == 1
    assert broker.llen("delivery") == unprefixed
    broker.delete(RedisKeys(prefix).queue("delivery"))


def test_the_prefix_defaults_to_one_derived_from_the_database() -> None:
    first = Settings(database_url="postgresql://db.example/one", redis_prefix="").redis_key_prefix
    second = Settings(database_url="postgresql://db.example/two", redis_prefix="").redis_key_prefix
    assert first != second and first.startswith("syndicate:")
    assert Settings(redis_prefix="staging:").redis_key_prefix == "staging:"
