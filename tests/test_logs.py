"""Structured logs: JSON lines that carry the request id from the webhook through its tasks."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import OperationalError

from syndicate import logs, signatures
from syndicate.articles import receive
from syndicate.cms import parse_generic
from syndicate.models import Article, utcnow
from syndicate.runtime import Runtime
from syndicate.settings import Settings
from tests.client import Client, article, envelope
from tests.servers import WorkerProcess, wait_until
from workers.app import make_celery
from workers.enqueue import Enqueuer


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restored_logging")
def test_a_record_is_one_json_line_with_the_request_context(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure("json")
    token = logs.request_id.set("req-1")
    try:
        logging.getLogger("syndicate.test").warning("article %s stored", "a-1")
    finally:
        logs.request_id.reset(token)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    entry = json.loads(line)
    assert entry["message"] == "article a-1 stored"
    assert entry["level"] == "warning" and entry["logger"] == "syndicate.test"
    assert entry["request_id"] == "req-1"
    assert entry["time"].endswith("+00:00")


def test_only_sane_request_ids_are_taken_from_callers() -> None:
    assert logs.new_request_id("abc-123_x.y:z") == "abc-123_x.y:z"
    assert len(logs.new_request_id("bad id\nwith newline")) == 32
    assert len(logs.new_request_id("x" * 200)) == 32


def test_the_request_id_follows_an_article_into_every_task(
    client: Client, worker: WorkerProcess
) -> None:
    body = json.dumps(envelope(article("logged-1"))).encode()
    headers = {
        "Content-Type": "application/json",
        signatures.HEADER: signatures.sign(body, client.secret),
        "X-Request-ID": "trace-logged-1",
    }
    response = client.http.post("/hooks/articles", content=body, headers=headers)
    assert response.status_code == 202, response.text
    request_id = response.headers["x-request-id"]
    assert request_id == "trace-logged-1"
    anonymous = client.http.get("/healthz")
    assert len(anonymous.headers["x-request-id"]) == 32

    def task_lines() -> list[dict[str, object]]:
        lines = worker.log_path.read_text().splitlines()
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        return [e for e in entries if e.get("request_id") == request_id]

    found = wait_until(
        lambda: (
            (lines := task_lines())
            and {"feeds for article logged-1", "card", "posts"} <= {categorise(e) for e in lines}
            and lines
        )
    )
    assert all(e.get("article_id") in ("logged-1", None) for e in found)
    assert any(e.get("article_id") == "logged-1" for e in found)


def test_articles_changed_together_are_each_logged_under_their_own_webhook(
    runtime: Runtime, worker: WorkerProcess
) -> None:
    """A batch of webhooks gets one task for its cards and one for its posts (and one feed
    rebuild); each article's work is still logged under the request id of its own webhook."""
    changes = [(f"together-{n}", f"trace-together-{n}") for n in (1, 2)]
    for article_id, _ in changes:
        receive(runtime.factory, parse_generic(envelope(article(article_id))), utcnow())
    assert Enqueuer(make_celery(Settings())).articles_changed(changes)

    def logged(request_id: str) -> set[str]:
        text = worker.log_path.read_text().splitlines()
        lines = [json.loads(line) for line in text if line.startswith("{")]
        return {
            f"{e['message'].split(':')[0]} / {e.get('article_id')}"
            for e in lines
            if e.get("request_id") == request_id and "for article" in e["message"]
        }

    wait_until(
        lambda: (
            # (and the feed rebuild under the first one's, unless another rebuild running
            # for an earlier test placed these articles first)
            logged("trace-together-1")
            >= {
                "card for article together-1 / together-1",
                "posts for article together-1 / together-1",
            }
            and logged("trace-together-2")
            == {
                "card for article together-2 / together-2",
                "posts for article together-2 / together-2",
            }
        )
    )

    def all_done() -> bool:
        with runtime.factory() as session:
            done = [session.get_one(Article, article_id) for article_id, _ in changes]
            return all(
                a.feeds_version == a.card_version == a.posts_version == a.version for a in done
            )

    wait_until(all_done)  # the feeds are announced before their last step is recorded


def categorise(entry: dict[str, object]) -> str:
    message = str(entry["message"])
    if message.startswith("feeds for article logged-1"):
        return "feeds for article logged-1"
    if message.startswith("card for article logged-1"):
        return "card"
    if message.startswith("posts for article logged-1"):
        return "posts"
    return "other"


def test_an_article_that_fails_in_a_batch_is_logged_and_the_others_go_on(
    caplog: pytest.LogCaptureFixture, stack_env: dict[str, str]
) -> None:
    from workers.tasks import for_each_article  # configured from the suite's environment

    done: list[tuple[str, str | None]] = []

    def work(article_id: str) -> None:
        if article_id == "broken-2":
            raise ValueError("a template bug")
        done.append((article_id, logs.request_id.get()))

    changes: list[list[str | None]] = [["fine-1", "req-1"], ["broken-2", "req-2"], ["fine-3", None]]
    with caplog.at_level(logging.ERROR, logger="workers.tasks"):
        for_each_article(changes, work)
    assert done == [("fine-1", "req-1"), ("fine-3", None)]
    (failure,) = caplog.records
    assert failure.getMessage() == "article broken-2 failed; the sweeper will try it again"
    assert failure.exc_info is not None and failure.exc_info[0] is ValueError

    def database_gone(article_id: str) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with pytest.raises(OperationalError):  # the task is tried again, whole
        for_each_article(changes, database_gone)
    assert logs.request_id.get() is None and logs.article_id.get() is None
