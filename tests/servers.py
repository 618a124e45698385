"""Real servers for tests: the web app under uvicorn in a thread, a worker as a process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from syndicate.web.httpguard import GuardedHttpProtocol
from syndicate.web.server import uvicorn_options


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except AssertionError as exc:
            last_error, result = exc, None
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s") from last_error


class WebServer:
    def __init__(
        self,
        app: Any,
        port: int | None = None,
        timeout_keep_alive: int = 5,
        protocol: type[GuardedHttpProtocol] = GuardedHttpProtocol,
    ) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_keep_alive=timeout_keep_alive,
            **{**uvicorn_options(), "http": protocol},
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebServer:
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=15)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class WorkerProcess:
    """`syndicate worker` in its own process, logging to a file the test can show on failure."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *args: str,
        command: str = "worker",
        ready: bytes = b" ready.",
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.args = args or (("--concurrency=2",) if command == "worker" else ())
        self.command = command
        self.ready = ready
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "syndicate.cli", self.command, *self.args],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(lambda: self.ready in self.log_path.read_bytes()[offset:], timeout=60)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
