"""The system's Varnish 7 with the xkey vmod on loopback, running the project's own
config/varnish.vcl in front of a Syndicate web process."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).parents[2]
SHIPPED = ROOT / "config" / "varnish.vcl"


class Varnish:
    def __init__(self, workdir: Path, app_port: int, port: int) -> None:
        subprocess.run([str(ROOT / "scripts" / "peers")], check=True, timeout=600)
        self.workdir, self.port = workdir, port
        vcl = SHIPPED.read_text()
        backend = '.port = "8000";'
        if vcl.count(backend) != 1:
            raise AssertionError(f"config/varnish.vcl should say {backend!r} exactly once")
        (workdir / "syndicate.vcl").write_text(vcl.replace(backend, f'.port = "{app_port}";'))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Varnish:
        self.process = subprocess.Popen(
            [
                "/usr/sbin/varnishd",
                "-F",
                "-j",
                "none",  # the test's own folders: no jail with users of its own
                "-a",
                f"127.0.0.1:{self.port}",
                "-T",
                "none",
                "-f",
                str(self.workdir / "syndicate.vcl"),
                "-n",
                str(self.workdir / "state"),
                "-s",
                "malloc,64m",
            ],
            stdout=(self.workdir / "varnish.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError((self.workdir / "varnish.log").read_text())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(
            "varnishd did not start: " + (self.workdir / "varnish.log").read_text()
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
