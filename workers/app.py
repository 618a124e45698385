"""The Celery app, configured from settings."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from syndicate.heap import freeze_startup_heap
from syndicate.settings import Settings, get_settings

# Talking to platforms has its own queue, so a slow or failing platform cannot hold up feeds,
# cards and composition; run workers on each (`syndicate worker -Q delivery`) to keep them apart.
WORK_QUEUE = "celery"
DELIVERY_QUEUE = "delivery"
DELIVERY_TASKS = (
    "syndicate.deliver_post",
    "syndicate.change_post",
    "syndicate.send_notification",
    "syndicate.ap_deliver",
)
# Cards and their share images (CPU-bound rendering, and fetching article images) have a queue
# of their own too, off the feeds' path: a burst of articles renders its images while its feeds
# are already served.
IMAGES_QUEUE = "images"
IMAGE_TASKS = ("syndicate.build_card", "syndicate.build_cards", "syndicate.check_cards")
# Reading sent posts' likes and reposts back: never in the way of sending.
ENGAGEMENT_QUEUE = "engagement"
# Reads from the platforms that never post: counts, and the regular credential checks.
ENGAGEMENT_TASKS = ("syndicate.read_engagement", "syndicate.check_channel")
QUEUES = (WORK_QUEUE, DELIVERY_QUEUE, IMAGES_QUEUE, ENGAGEMENT_QUEUE)


def make_celery(settings: Settings) -> Celery:
    app = Celery("syndicate", broker=settings.broker_url, include=["workers.tasks"])
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
        broker_transport_options={
            "visibility_timeout": 3600,
            # A worker taking several queues takes from them in the order named (QUEUES, or
            # -Q), not in turn: a feed rebuild never waits behind a card already queued.
            "queue_order_strategy": "priority",
            # Queues and bindings under the installation's prefix, like every other key.
            "global_keyprefix": settings.redis_key_prefix,
        },
        timezone="UTC",
        enable_utc=True,
        worker_hijack_root_logger=False,
        task_default_queue=WORK_QUEUE,
        task_routes={
            **{name: {"queue": DELIVERY_QUEUE} for name in DELIVERY_TASKS},
            **{name: {"queue": IMAGES_QUEUE} for name in IMAGE_TASKS},
            **{name: {"queue": ENGAGEMENT_QUEUE} for name in ENGAGEMENT_TASKS},
        },
        beat_schedule={
            "sweep": {
                "task": "syndicate.sweep",
                "schedule": settings.dispatch_interval_seconds,
            },
        },
    )
    return app


celery_app = make_celery(get_settings())


@worker_process_init.connect
def _freeze_startup_heap(**_: Any) -> None:
    freeze_startup_heap()
