"""`syndicate up` runs the whole service on its embedded default: SQLite and an embedded Redis."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from syndicate import signatures
from tests.client import article, envelope
from tests.servers import free_port, wait_until


def test_up_serves_a_webhook_to_feed_on_sqlite_and_embedded_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNDICATE_")}
    env["SYNDICATE_DATA_DIR"] = str(tmp_path / "data")
    port = free_port()
    log = (tmp_path / "up.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "syndicate.cli", "up", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _get(f"{base}/healthz") == 200, timeout=60)
        output = (tmp_path / "up.log").read_text()
        assert f"{base}/feeds/rss.xml" in output and "embedded Redis" in output
        # `syndicate serve` runs the guarded protocol: a head that keeps growing is refused.
        assert _status_of_oversized_head(port) == b"HTTP/1.1 431"
        assert "server" not in httpx.get(f"{base}/healthz").headers  # no software named

        # The command printed for the first admin works as printed, in the folder `up` ran in,
        # with nothing set up by hand (no activated venv, none of the service's variables).
        printed = re.search(r"first an admin: (.+)", output)
        assert printed, output
        command = printed.group(1).replace("NAME", "first-admin") + " --password-stdin"
        created = subprocess.run(
            command,
            shell=True,
            input="a long enough password\n",
            text=True,
            capture_output=True,
            cwd=Path.cwd(),
            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
            timeout=120,
        )
        assert created.returncode == 0, created.stderr
        assert "first-admin" in created.stdout
        secrets = dict(
            line.split("=", 1) for line in (tmp_path / "data/secrets.env").read_text().split()
        )
        assert secrets["SYNDICATE_WEBHOOK_SECRETS"] not in output

        body = json.dumps(envelope(article("embedded-1", title="Served from SQLite"))).encode()
        secret = secrets["SYNDICATE_WEBHOOK_SECRETS"].encode()
        response = httpx.post(
            f"{base}/hooks/articles",
            content=body,
            headers={
                "Content-Type": "application/json",
                signatures.HEADER: signatures.sign(body, secret),
            },
        )
        assert response.status_code == 202, response.text
        wait_until(
            lambda: b"Served from SQLite" in httpx.get(f"{base}/feeds/rss.xml").content, timeout=60
        )
        token = secrets["SYNDICATE_API_TOKEN"]

        def statuses() -> list[str]:
            posts = httpx.get(f"{base}/api/posts", headers={"Authorization": f"Bearer {token}"})
            return [p["status"] for p in posts.json()]

        # Composition is a task of its own, which may finish after the feed is stored.
        wait_until(lambda: statuses() == ["pending_review"], timeout=60)
        assert (tmp_path / "data/syndicate.db").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0, (tmp_path / "up.log").read_text()[-3000:]
    assert _get(f"{base}/healthz") is None


def _status_of_oversized_head(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 40_000)
        return connection.recv(12)


def _get(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return None
