"""The system's nginx on loopback, running the project's own config/nginx.conf in front of a
Syndicate web process and the folder its workers export feeds to."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).parents[2]
NGINX = "/usr/sbin/nginx"
SHIPPED = ROOT / "config" / "nginx.conf"


def _configured(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        if text.count(old) != 1:
            raise AssertionError(f"config/nginx.conf should say {old!r} exactly once")
        text = text.replace(old, new)
    return text


class Nginx:
    def __init__(self, workdir: Path, export_dir: Path, app_port: int, port: int, hub: str):
        subprocess.run([str(ROOT / "scripts" / "peers")], check=True, timeout=600)
        self.port = port
        self.workdir = workdir
        server = _configured(
            SHIPPED.read_text(),
            {
                "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
                "listen 80;": f"listen 127.0.0.1:{port};",
                "root /var/lib/syndicate/export;": f"root {export_dir};",
                'default "https://hub.example/";': f'default "{hub}";',
            },
        )
        (workdir / "syndicate.conf").write_text(server)
        temp = {name: workdir / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        for path in temp.values():
            path.mkdir(exist_ok=True)
        (workdir / "nginx.conf").write_text(f"""
daemon off;
user root;
worker_processes auto;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {workdir}/syndicate.conf;
}}
""")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Nginx:
        conf = str(self.workdir / "nginx.conf")
        subprocess.run([NGINX, "-t", "-q", "-c", conf, "-p", str(self.workdir)], check=True)
        self.process = subprocess.Popen(
            [NGINX, "-c", conf, "-p", str(self.workdir)], stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError((self.workdir / "error.log").read_text())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
