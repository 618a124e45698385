"""Fixtures: a real PostgreSQL database, real Redis, the web app over HTTP, a real worker."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from syndicate.db import one_connection
from syndicate.feeds.turns import RebuildTurns
from syndicate.runtime import Runtime, build_runtime
from syndicate.settings import Settings
from syndicate.web.app import create_app
from tests.client import Client
from tests.databases import fresh_database
from tests.fakes.receiver import Receiver
from tests.fakes.smtp import SmtpServer
from tests.fakes.websub_hub import WebSubHub
from tests.people import people
from tests.servers import WebServer, WorkerProcess, free_port

__all__ = ["people"]

REDIS_URL = os.environ.get("SYNDICATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Every key, channel and queue of this run, whichever Redis database it is in: two runs on one
# machine never take each other's tasks.
REDIS_PREFIX = f"syndicate-test-{uuid.uuid4().hex[:10]}:"
WEBHOOK_SECRETS = (
    "test-secret-current-0123456789abcdef0123,test-secret-previous-0123456789abcdef012"
)
API_TOKEN = "test-api-token-0123456789abcdef0123456789"
SECRET_KEY = "test-secret-key-0123456789abcdef0123456789"
METRICS_TOKEN = "test-metrics-token-0123456789abcdef01234"
HOOK_SECRET = "test-hook-secret"
TABLES = (
    "deliveries",
    "post_changes",
    "posts",
    "cards",
    "article_revisions",
    "inbound_deliveries",
    "feed_documents",
    "feed_memberships",
    "feed_tombstones",
    "purges",
    "notifications",
    "channel_rules",
    "site_details",
    "feed_archives",
    "feeds",
    "channel_states",
    "channel_tokens",
    "channels",
    "ap_actors",
    "ap_followers",
    "ap_remote_keys",
    "ap_deliveries",
    "ap_objects",
    "ap_reactions",
    "ap_hosts",
    "channel_health",
    "connect_attempts",
    "oauth_clients",
    "share_counts",
    "articles",
    "audit_entries",
    "api_tokens",
    "user_sessions",
    "users",
)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    yield REDIS_URL
    forget_redis_keys(REDIS_URL)


def forget_redis_keys(url: str) -> None:
    """Delete this run's keys from the Redis at `url`, and nobody else's."""
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=REDIS_PREFIX + "*", count=1000):
        client.delete(key)


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSubHub]:
    server = WebSubHub(tmp_path_factory.mktemp("hub")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def web_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def config_file(
    tmp_path_factory: pytest.TempPathFactory, receiver: Receiver, hub: WebSubHub
) -> Path:
    path = tmp_path_factory.mktemp("config") / "syndicate.toml"
    path.write_text(
        f"""
[site]
title = "Test Newsroom"
description = "News for tests"
language = "en"
link = "https://news.example/"
websub_hubs = ["{hub.url}"]

[site.share]
labels = {{ email = "Email a friend" }}

[[channels]]
name = "newsroom-hook"
platform = "webhook"
url = "{receiver.url}/newsroom"
secret_env = "TEST_NEWSROOM_HOOK_SECRET"
auto_approve = false

# Configured but disabled: they compose nothing, yet previews can use them.
[[channels]]
name = "x-preview"
platform = "x"
enabled = false

[[channels]]
name = "bluesky-preview"
platform = "bluesky"
enabled = false

[[channels]]
name = "wire"
platform = "webhook"
url = "{receiver.url}/wire"
secret_env = "TEST_NEWSROOM_HOOK_SECRET"
auto_approve = true
edit_on_update = true
delete_on_unpublish = true

# The desk hears of failures by email and of pauses at its own URL.
[[notifications]]
name = "desk-mail"
kind = "email"
to = ["desk@news.example"]
from = "syndicate@news.example"
events = ["post.failed", "post.unknown"]

[[notifications]]
name = "desk-hook"
kind = "webhook"
url = "{receiver.url}/desk"
secret_env = "TEST_NEWSROOM_HOOK_SECRET"
events = ["channel.paused"]
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def stack_env(
    database_url: str,
    redis_url: str,
    config_file: Path,
    web_port: int,
    smtp: SmtpServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, str]:
    """The environment shared by the web app in this process and the worker processes."""
    env = {
        "SYNDICATE_DATABASE_URL": database_url,
        "SYNDICATE_REDIS_URL": redis_url,
        "SYNDICATE_REDIS_PREFIX": REDIS_PREFIX,
        "SYNDICATE_BASE_URL": f"http://127.0.0.1:{web_port}",
        "SYNDICATE_WEBHOOK_SECRETS": WEBHOOK_SECRETS,
        "SYNDICATE_API_TOKEN": API_TOKEN,
        "SYNDICATE_SECRET_KEY": SECRET_KEY,
        "SYNDICATE_METRICS_TOKEN": METRICS_TOKEN,
        "SYNDICATE_CONFIG": str(config_file),
        "SYNDICATE_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "SYNDICATE_SWEEP_GRACE_SECONDS": "2",
        "SYNDICATE_FEED_ARCHIVE_PAGE_SIZE": "2",
        "SYNDICATE_DISPATCH_INTERVAL_SECONDS": "1",
        # Every process sees the channels of the test that is running, never the last one's.
        "SYNDICATE_CHANNEL_REFRESH_SECONDS": "0",
        "TEST_NEWSROOM_HOOK_SECRET": HOOK_SECRET,
        "SYNDICATE_SMTP_URL": smtp.url,
    }
    os.environ.update(env)
    return env


@pytest.fixture(scope="session")
def settings(stack_env: dict[str, str]) -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def runtime(settings: Settings) -> Runtime:
    return build_runtime(settings)


@pytest.fixture(scope="session")
def web(runtime: Runtime, web_port: int) -> Iterator[WebServer]:
    server = WebServer(create_app(runtime), web_port).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def worker(
    stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    process = WorkerProcess(stack_env, log).start()
    yield process
    process.stop()


# The session's `syndicate beat`, once a test has asked for it.
BEATS: list[WorkerProcess] = []


@pytest.fixture(scope="session")
def beat_process(
    stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    log = tmp_path_factory.mktemp("beat") / "beat.log"
    process = WorkerProcess(stack_env, log, command="beat", ready=b"beat: Starting")
    BEATS.append(process)
    yield process
    process.stop()
    BEATS.remove(process)


@pytest.fixture
def beat(beat_process: WorkerProcess) -> WorkerProcess:
    """`syndicate beat`: the scheduler that dispatches due posts and sweeps up lost work."""
    if not beat_process.running:
        beat_process.start()
    return beat_process


@pytest.fixture(autouse=True)
def beat_only_when_asked(request: pytest.FixtureRequest) -> None:
    """The beat runs only for the tests that ask for it: its sweeps send pending work to the
    worker, and a test that drives deliveries itself must be the only one sending them."""
    if "beat" not in request.fixturenames:
        for process in BEATS:
            process.stop()


@pytest.fixture
def clean(runtime: Runtime, receiver: Receiver, smtp: SmtpServer) -> None:
    """Every test starts with empty tables and a receiver that has seen nothing."""
    settle_leftover_work(runtime)
    for attempt in range(10):
        try:
            with runtime.engine.begin() as conn:
                empty_tables(conn)
            break
        except OperationalError:  # a worker still finishing the last test's tasks: deadlock
            if attempt == 9:
                raise
            time.sleep(0.2)
    receiver.reset()
    smtp.reset()
    # Every test comes from 127.0.0.1: one test's failed sign-ins and share clicks must not
    # limit the next's.
    client = redis.Redis.from_url(REDIS_URL)
    for kind in ("signin-failures", "share-seen"):
        for key in client.scan_iter(match=f"{REDIS_PREFIX}{kind}:*", count=1000):
            client.delete(key)


def settle_leftover_work(runtime: Runtime) -> None:
    """Let a feed rebuild the last test left running finish first (for a few seconds at
    most): a rebuild that has the turn goes on with any article that is behind, and this
    test's articles must not be taken from it mid-way."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not turn_free(runtime):
        time.sleep(0.05)


def turn_free(runtime: Runtime) -> bool:
    with one_connection(runtime.factory) as shared:
        turns = RebuildTurns(shared)
        if not turns.take():
            return False
        turns.give_back()
        return True


# Which of TABLES hold rows: emptying only those is several times quicker than all of them.
HOLDING_ROWS = text(
    " UNION ALL ".join(f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM {table})" for table in TABLES)
)
# Every sequence behind an id column of TABLES back at its start, as RESTART IDENTITY would have
# left even the tables that are empty now (a test may have added rows and removed them).
RESTART_SEQUENCES = text(
    "SELECT setval(s.oid, 1, false) FROM pg_class s"
    " JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')"
    " JOIN pg_class t ON t.oid = d.refobjid"
    " WHERE s.relkind = 'S' AND t.relname = ANY(:tables)"
)


def empty_tables(conn: Connection) -> None:
    holding = [row[0] for row in conn.execute(HOLDING_ROWS)]
    if holding:
        conn.execute(text(f"TRUNCATE {', '.join(holding)} RESTART IDENTITY CASCADE"))
    conn.execute(RESTART_SEQUENCES, {"tables": list(TABLES)})


@pytest.fixture
def client(web: WebServer, clean: None) -> Client:
    return Client(web.url, secret=WEBHOOK_SECRETS.split(",")[0], token=API_TOKEN)
