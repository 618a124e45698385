"""The HTTP API fuzzed from its own OpenAPI description by the schemathesis command line (its
coverage, fuzzing and stateful phases), on PostgreSQL and on the embedded default's SQLite: no
input, however odd, gets a 5xx, and every error is a JSON body that says what is wrong."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from syndicate.migrate import upgrade
from syndicate.runtime import Runtime, build_runtime
from syndicate.web.app import create_app
from tests.client import Client, article, envelope
from tests.conftest import API_TOKEN, REDIS_PREFIX
from tests.servers import WebServer

# Fixed, so that a run is repeatable. The coverage phase reaches every route's edge cases
# whatever the number; twenty examples an operation add a thousand or so requests; the
# offsets past what SQLite holds (2**63), which more examples used to find, are pinned by
# tests/security/test_no_500s.py.
SEED = 1
EXAMPLES = 20


@pytest.fixture
def on_sqlite(runtime: Runtime, tmp_path: Path) -> Iterator[Client]:
    """The web app on the embedded default's SQLite; its tasks go to a queue nobody reads."""
    url = f"sqlite:///{tmp_path / 'fuzz.db'}"
    upgrade(url)
    settings = runtime.settings.model_copy(
        update={"database_url": url, "redis_prefix": f"{REDIS_PREFIX}fuzz-sqlite:"}
    )
    embedded = build_runtime(settings)
    server = WebServer(create_app(embedded)).start()
    yield Client(server.url, runtime.settings.webhook_secret_list()[0].decode(), API_TOKEN)
    server.stop()
    embedded.engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def target(request: pytest.FixtureRequest) -> Client:
    fixture = "client" if request.param == "postgresql" else "on_sqlite"
    found: Client = request.getfixturevalue(fixture)
    return found


def test_no_request_gets_a_server_error(target: Client, tmp_path: Path) -> None:
    # Something to find: an article with its posts and share counts.
    assert target.send(envelope(article("fuzz-1"))).status_code == 202
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{target.base_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {API_TOKEN}",
        "--checks",
        "not_a_server_error,errors_say_what_is_wrong",
        "--phases",
        "coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        # 503 on purpose while no worker runs; tests/web/test_health.py covers it.
        "--exclude-path",
        "/readyz",
        "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.web.fuzz_checks"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-6000:]
    tested = re.search(r"Tested: (\d+)", report)
    assert tested and int(tested.group(1)) >= 30, report[-3000:]  # every operation ran
    generated = re.search(r"(\d+) generated", report)
    assert generated and int(generated.group(1)) > 1000, report[-3000:]
