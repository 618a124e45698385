"""Webhook deliveries, stored by one writer thread per web process in batches.

Under load, many deliveries arrive while one transaction commits. The writer takes all of them
into the next transaction and the next broker message, so a burst costs a few statements and
one message per batch rather than per delivery. Alone, a delivery waits for nothing: a batch of
one is written at once. Each request is answered when its batch has committed.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from syndicate import articles, logs
from syndicate.cms import ArticleEvent
from syndicate.models import utcnow

log = logging.getLogger(__name__)

# (article id, request id) of each article a batch changed, for the broker.
Changes = list[tuple[str, str | None]]


@dataclass
class _Pending:
    event: ArticleEvent
    request_id: str | None
    future: asyncio.Future[articles.Receipt]


class IngestWriter:
    def __init__(
        self,
        factory: sessionmaker[Session],
        announce: Callable[[Changes], object],
        max_batch: int = 500,
    ) -> None:
        self.factory = factory
        self.announce = announce
        self.max_batch = max_batch
        self.waiting: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    async def submit(self, event: ArticleEvent) -> articles.Receipt:
        """Store the delivery with whatever else is waiting; answer once it is committed."""
        self._start()
        future: asyncio.Future[articles.Receipt] = asyncio.get_running_loop().create_future()
        self.waiting.put(_Pending(event, logs.request_id.get(), future))
        return await future

    def _start(self) -> None:
        if self.thread is None:
            with self.lock:
                if self.thread is None:
                    self.thread = threading.Thread(
                        target=self._run, name="webhook-writer", daemon=True
                    )
                    self.thread.start()

    def _run(self) -> None:
        while True:
            batch = [self.waiting.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self.waiting.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write(batch)
            except Exception:  # never let the writer die; each request has its answer
                log.exception("the webhook writer failed on a batch of %d", len(batch))

    def _write(self, batch: list[_Pending]) -> None:
        answers = list(zip(batch, self._store(batch), strict=True))
        for loop in {p.future.get_loop() for p in batch}:
            mine = [a for a in answers if a[0].future.get_loop() is loop]
            loop.call_soon_threadsafe(_settle, mine)
        changes = [
            (p.event.article.id, p.request_id)
            for p, outcome in answers
            if isinstance(outcome, articles.Receipt) and outcome.changed
        ]
        if changes:
            self.announce(changes)

    def _store(self, batch: list[_Pending]) -> list[articles.Receipt | BaseException]:
        events = [p.event for p in batch]
        try:
            return list(articles.receive_batch(self.factory, events, utcnow()))
        except Exception as exc:
            if len(batch) == 1:
                return [exc]
        # One delivery the database refuses must not fail the others: store each on its own.
        outcomes: list[articles.Receipt | BaseException] = []
        for event in events:
            try:
                outcomes.append(articles.receive(self.factory, event, utcnow()))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes


def _settle(answers: list[tuple[_Pending, articles.Receipt | BaseException]]) -> None:
    for pending, outcome in answers:
        if pending.future.done():  # the client went away
            continue
        if isinstance(outcome, BaseException):
            pending.future.set_exception(outcome)
        else:
            pending.future.set_result(outcome)
