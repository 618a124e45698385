"""Named helpers the web layer calls after its transaction commits."""

from __future__ import annotations

import logging

from celery import Celery

from syndicate import logs
from syndicate.feeds.build import BATCH

log = logging.getLogger(__name__)

ARTICLE_TASKS = ("syndicate.rebuild_feeds", "syndicate.build_card", "syndicate.compose_posts")
# The card and post tasks of several articles, given (article id, request id) pairs.
BATCH_TASKS = ("syndicate.build_cards", "syndicate.compose_posts_of")
# One message for one article; a worker fans it out into the three article tasks.
FAN_OUT = "syndicate.article_changed"


class Enqueuer:
    """Sends tasks by name, so the web process needs no task code, only a broker."""

    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def send(self, task: str, *args: object) -> bool:
        try:
            # The request id travels in the message headers, so the task logs under it too.
            self.celery.send_task(
                task, args=list(args), headers={"request_id": logs.request_id.get()}
            )
        except Exception:  # The broker is down: the sweeper finds the work in the database.
            log.warning("could not enqueue %s%r; the sweeper will pick it up", task, args)
            return False
        return True

    def article_changed(self, article_id: str) -> bool:
        return self.send(FAN_OUT, article_id)

    def articles_changed(self, changes: list[tuple[str, str | None]]) -> bool:
        """The tasks of the articles a batch of webhooks changed, (article id, request id)
        each: `batch_tasks` for every BATCH of them, sent from here rather than fanned out by
        a worker, so that no article waits for a task that only sends others."""
        pairs: list[list[str | None]] = [list(change) for change in changes]
        chunks = [pairs[start : start + BATCH] for start in range(0, len(pairs), BATCH)]
        return all([self.batch_tasks(chunk) for chunk in chunks])

    def site_changed(self) -> bool:
        return self.send("syndicate.site_changed")

    def article_tasks(self, article_id: str) -> bool:
        return all([self.send(task, article_id) for task in ARTICLE_TASKS])

    def batch_tasks(self, changes: list[list[str | None]]) -> bool:
        """The tasks of several articles changed together, (article id, request id) each: one
        feed rebuild for them all, which places them at once, one for their cards and one for
        their posts, under the first one's request id."""
        token = logs.request_id.set(changes[0][1])
        try:
            ids = [str(article_id) for article_id, _ in changes]
            return all(
                [
                    self.send(ARTICLE_TASKS[0], *ids),
                    *(self.send(task, changes) for task in BATCH_TASKS),
                ]
            )
        finally:
            logs.request_id.reset(token)

    def post_approved(self, post_id: int) -> None:
        self.send("syndicate.deliver_post", post_id)
