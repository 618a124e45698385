"""The whole service for a benchmark: a scratch PostgreSQL database, Redis, `syndicate serve`
and one `syndicate worker`, each its own process, and a client that publishes signed articles."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import psutil
import redis
from pydantic import SecretStr
from sqlalchemy import func, select

from bench.feeds import serve
from bench.support import scratch_database
from syndicate import signatures
from syndicate.models import Article
from syndicate.runtime import Runtime, build_runtime
from syndicate.settings import Settings
from tests.client import envelope
from tests.servers import WorkerProcess, free_port

SECRET = "bench-secret-0123456789abcdef0123456789"
BROKER = os.environ.get("SYNDICATE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
SITE = '[site]\ntitle = "Bench Gazette"\nlanguage = "en"\n'


class Stack:
    def __init__(
        self,
        channels_toml: str = "",
        web_workers: int = 1,
        concurrency: int = 2,
        env: dict[str, str] | None = None,
    ) -> None:
        self.channels_toml = channels_toml
        self.web_workers = web_workers
        self.concurrency = concurrency
        self.extra_env = env or {}
        self.exits = ExitStack()

    def __enter__(self) -> Stack:
        redis.Redis.from_url(BROKER).flushdb()
        self.database_url = self.exits.enter_context(scratch_database())
        self.folder = Path(self.exits.enter_context(tempfile.TemporaryDirectory()))
        config = self.folder / "syndicate.toml"
        config.write_text(SITE + self.channels_toml, encoding="utf-8")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "SYNDICATE_DATABASE_URL": self.database_url,
            "SYNDICATE_REDIS_URL": BROKER,
            "SYNDICATE_BASE_URL": self.base_url,
            "SYNDICATE_WEBHOOK_SECRETS": SECRET,
            "SYNDICATE_SECRET_KEY": SECRET,
            "SYNDICATE_CONFIG": str(config),
            "SYNDICATE_DATA_DIR": str(self.folder),
            "SYNDICATE_LOG_LEVEL": "WARNING",
            **self.extra_env,
        }
        self.web = serve(self.env, self.port, self.web_workers)
        self.exits.callback(self._stop_web)
        self.worker = WorkerProcess(
            self.env, self.folder / "worker.log", f"--concurrency={self.concurrency}"
        ).start()
        self.exits.callback(self.worker.stop)
        self.runtime: Runtime = build_runtime(
            Settings(database_url=self.database_url, secret_key=SecretStr(SECRET))
        )
        self.exits.callback(self.runtime.engine.dispose)
        self.http = httpx.Client(base_url=self.base_url, timeout=30)
        self.exits.callback(self.http.close)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.exits.close()
        redis.Redis.from_url(BROKER).flushdb()

    def _stop_web(self) -> None:
        os.killpg(self.web.pid, signal.SIGTERM)
        self.web.wait()

    def publish(self, article: dict[str, Any], http: httpx.Client | None = None) -> float:
        """Send one signed publish; return the moment its 202 arrived (perf_counter)."""
        body = json.dumps(envelope(article)).encode()
        response = (http or self.http).post(
            "/hooks/articles",
            content=body,
            headers={
                "Content-Type": "application/json",
                signatures.HEADER: signatures.sign(body, SECRET.encode()),
            },
        )
        answered = time.perf_counter()
        if response.status_code != 202:
            raise RuntimeError(f"publish refused: {response.status_code} {response.text}")
        return answered

    def unfinished(self) -> int:
        """Articles whose feeds, card or posts have not caught up with their latest version."""
        with self.runtime.factory() as session:
            behind = (
                (Article.feeds_version < Article.version)
                | (Article.card_version < Article.version)
                | (Article.posts_version < Article.version)
            )
            return session.scalar(select(func.count()).where(behind)) or 0

    def resident_mib(self) -> dict[str, float]:
        """Resident memory of the web and worker process trees, MiB."""
        assert self.worker.process is not None
        return {
            "web": _tree_rss(self.web.pid) / 2**20,
            "worker": _tree_rss(self.worker.process.pid) / 2**20,
        }


def _tree_rss(pid: int) -> int:
    root = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
