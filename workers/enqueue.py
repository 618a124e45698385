"""Named helpers the web layer calls after its transaction commits."""

from __future__ import annotations

import logging

from celery import Celery

from syndicate import logs

log = logging.getLogger(__name__)

ARTICLE_TASKS = ("syndicate.rebuild_feeds", "syndicate.build_card", "syndicate.compose_posts")
# One message from the web process; a worker fans it out into the three article tasks.
FAN_OUT = "syndicate.article_changed"
# The same for every article a batch of webhooks changed, each with its request id.
BATCH_FAN_OUT = "syndicate.articles_changed"


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
        return self.send(BATCH_FAN_OUT, [list(change) for change in changes])

    def site_changed(self) -> bool:
        return self.send("syndicate.site_changed")

    def article_tasks(self, article_id: str, feeds: bool = True) -> bool:
        """The article's feed, card and post tasks; its card and post tasks only, when its
        feeds are rebuilt along with others (`feeds_together`)."""
        tasks = ARTICLE_TASKS if feeds else ARTICLE_TASKS[1:]
        return all([self.send(task, article_id) for task in tasks])

    def feeds_together(self, article_ids: list[str]) -> bool:
        """One feed rebuild for the articles, which places them all at once."""
        return self.send(ARTICLE_TASKS[0], *article_ids)

    def post_approved(self, post_id: int) -> None:
        self.send("syndicate.deliver_post", post_id)
