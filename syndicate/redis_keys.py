"""Every name the installation uses in Redis, under the installation's own prefix.

Several installations may share one Redis (staging beside production, say): each one's keys,
channels and Celery queues carry its prefix, so none ever sees another's feed announcements,
metrics, sign-in counts or tasks."""

from __future__ import annotations

from dataclasses import dataclass

import redis


@dataclass(frozen=True)
class RedisKeys:
    prefix: str

    @property
    def webhook_counts(self) -> str:
        return self.prefix + "metrics:webhooks"

    @property
    def feed_counts(self) -> str:
        return self.prefix + "metrics:feeds"

    @property
    def task_timings(self) -> str:
        """The start of each task's histogram key: `<this><task name>`."""
        return self.prefix + "metrics:task:"

    @property
    def feeds_changed(self) -> str:
        """The channel on which workers announce newly stored feeds."""
        return self.prefix + "feeds-changed"

    @property
    def worker_heartbeat(self) -> str:
        return self.prefix + "worker-heartbeat"

    def signin_failures(self, who: str) -> str:
        return self.prefix + "signin-failures:" + who

    def inbox_budget(self, server: str) -> str:
        return self.prefix + "inbox-budget:" + server

    def share_seen(self, digest: str) -> str:
        return self.prefix + "share-seen:" + digest

    def queue(self, name: str) -> str:
        """A Celery queue's list, as kombu names it under `global_keyprefix`."""
        return self.prefix + name


def connect(url: str, timeout: float | None = 2.0) -> redis.Redis:
    """A client for the installation's Redis."""
    return redis.Redis.from_url(url, socket_timeout=timeout)
