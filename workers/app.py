"""The Celery app, configured from settings."""

from __future__ import annotations

from celery import Celery

from syndicate.settings import Settings, get_settings

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def make_celery(settings: Settings) -> Celery:
    app = Celery(
        "syndicate", broker=settings.redis_url or DEFAULT_BROKER, include=["workers.tasks"]
    )
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # A task is acknowledged only when done, and given back if its worker dies mid-way;
        # every task is idempotent, so running one twice is safe.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        timezone="UTC",
        enable_utc=True,
        worker_hijack_root_logger=False,
        beat_schedule={
            "sweep": {
                "task": "syndicate.sweep",
                "schedule": settings.dispatch_interval_seconds,
            },
        },
    )
    return app


celery_app = make_celery(get_settings())
