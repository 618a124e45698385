"""Each task logs under the request id of the webhook that caused it and its article's id,
and reports how long it took."""

from __future__ import annotations

import time
from typing import Any

import redis
from celery.signals import task_postrun, task_prerun

from syndicate import logs, metrics
from syndicate.redis_keys import RedisKeys, connect
from syndicate.settings import get_settings
from workers.enqueue import ARTICLE_TASKS, FAN_OUT

_started: dict[str, float] = {}
_client: list[redis.Redis] = []


def redis_client() -> redis.Redis:
    """One client per worker process, for metrics and announcements."""
    if not _client:
        _client.append(connect(get_settings().broker_url, timeout=None))
    return _client[0]


def redis_keys() -> RedisKeys:
    return RedisKeys(get_settings().redis_key_prefix)


@task_prerun.connect
def _enter(task_id: str = "", task: Any = None, args: Any = None, **_: Any) -> None:
    _started[task_id] = time.monotonic()
    request = getattr(task, "request", None)
    offered = request.get("request_id") if request is not None else None
    logs.request_id.set(offered if isinstance(offered, str) else None)
    is_article_task = task is not None and task.name in (*ARTICLE_TASKS, FAN_OUT) and args
    logs.article_id.set(str(args[0]) if is_article_task else None)


@task_postrun.connect
def _leave(task_id: str = "", task: Any = None, **_: Any) -> None:
    started = _started.pop(task_id, None)
    if started is not None and task is not None:
        metrics.observe_task(redis_client(), redis_keys(), task.name, time.monotonic() - started)
    logs.request_id.set(None)
    logs.article_id.set(None)
