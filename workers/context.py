"""Each task logs under the request id of the webhook that caused it, and its article's id."""

from __future__ import annotations

from typing import Any

from celery.signals import task_postrun, task_prerun

from syndicate import logs
from workers.enqueue import ARTICLE_TASKS


@task_prerun.connect
def _enter(task: Any = None, args: Any = None, **_: Any) -> None:
    request = getattr(task, "request", None)
    offered = request.get("request_id") if request is not None else None
    logs.request_id.set(offered if isinstance(offered, str) else None)
    is_article_task = task is not None and task.name in ARTICLE_TASKS and args
    logs.article_id.set(str(args[0]) if is_article_task else None)


@task_postrun.connect
def _leave(**_: Any) -> None:
    logs.request_id.set(None)
    logs.article_id.set(None)
