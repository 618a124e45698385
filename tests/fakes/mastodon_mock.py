"""A Mastodon API on loopback: the third-party `mastodon_mock` server, run as a process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.servers import free_port, wait_until

TOKEN = "mock_token"


class MastodonMock:
    def __init__(self) -> None:
        self.port = free_port()
        executable = Path(sys.executable).with_name("mastodon_mock")
        self.process = subprocess.Popen(
            [
                str(executable),
                "serve",
                "--in-memory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: self._up(), timeout=30)

    def _up(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v2/instance").status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fault(self, effect: dict[str, Any], count: int = 1) -> None:
        response = httpx.post(
            f"{self.url}/api/v1/_mock/faults", json={"effect": effect, "count": count}
        )
        response.raise_for_status()

    def status(self, status_id: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.url}/api/v1/statuses/{status_id}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        return dict(response.json()) if response.status_code == 200 else {}

    def count_statuses(self) -> int:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        me = httpx.get(f"{self.url}/api/v1/accounts/verify_credentials", headers=headers).json()
        statuses = httpx.get(
            f"{self.url}/api/v1/accounts/{me['id']}/statuses", params={"limit": 40}, headers=headers
        )
        return len(statuses.json())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
