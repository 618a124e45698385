"""Shared pieces for the benchmarks: a scratch PostgreSQL database, wrk, timing summaries."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
from contextlib import AbstractContextManager
from pathlib import Path

from tests.databases import fresh_database

PG_ADMIN_URL = os.environ.get(
    "SYNDICATE_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def scratch_database() -> AbstractContextManager[str]:
    return fresh_database("syndicate_bench", PG_ADMIN_URL)


def require(*programs: str) -> None:
    """Install Debian packages for missing programs (wrk, nginx) where apt-get is available."""
    packages = {"wrk": "wrk", "nginx": "nginx-light"}
    missing = [
        packages[p]
        for p in programs
        if not shutil.which(p) and not os.path.exists(f"/usr/sbin/{p}")
    ]
    if missing:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", *missing],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"p50 {statistics.median(ms):7.1f} ms   p99 {percentile(ms, 99):7.1f} ms   "
        f"max {max(ms):7.1f} ms   (n={len(ms)})"
    )


def wrk(
    url: str,
    connections: int,
    seconds: int,
    headers: dict[str, str],
    script: Path | None = None,
    script_args: tuple[str, ...] = (),
) -> dict[str, float]:
    """Requests per second and latency percentiles from wrk (with a Lua script, if given,
    whose arguments follow the URL)."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command += [url, *(["--", *script_args] if script_args else [])]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    result = {"rps": rps}
    for pct in ("50", "99"):
        match = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", output)
        if match:
            scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
            result[f"p{pct}_ms"] = float(match.group(1)) * scale
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["errors"] = float(non2xx.group(1)) if non2xx else 0.0
    return result
