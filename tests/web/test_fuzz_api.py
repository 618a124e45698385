"""The HTTP API fuzzed from its own OpenAPI description with schemathesis: no input, however
odd, gets a 5xx, and every error is a JSON body that says what is wrong."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.client import Client, article, envelope
from tests.conftest import API_TOKEN
from tests.servers import WebServer

EXAMPLES_PER_OPERATION = 20


def errors_say_what_is_wrong(ctx: Any, response: Any, case: Any) -> bool:
    if response.status_code >= 400 and case.method.upper() != "HEAD":
        shown = (
            f"{case.method} {case.formatted_path} {response.status_code} {response.text[:200]!r}"
        )
        try:
            body = response.json()
        except ValueError:
            raise AssertionError(f"not JSON: {shown}") from None
        assert isinstance(body, dict) and body.get("message"), shown
    return True


def test_no_request_gets_a_server_error(web: WebServer, client: Client) -> None:
    # Something to find: an article with its posts and share counts.
    assert client.send(envelope(article("fuzz-1"))).status_code == 202
    schema = schemathesis.openapi.from_url(f"{web.url}/openapi.json")
    # /readyz answers 503 on purpose while no worker runs; tests/web/test_health.py covers it.
    operations = [
        op for op in (result.ok() for result in schema.get_all_operations()) if op.path != "/readyz"
    ]
    assert len(operations) >= 20
    checked, calls = [], []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            calls.append(case.method)
            case.call_and_validate(
                base_url=web.url,
                headers={"Authorization": f"Bearer {API_TOKEN}"},
                checks=[not_a_server_error, errors_say_what_is_wrong],
            )

        try:
            fuzz()
        except Exception as exc:
            pytest.fail(f"{operation.method.upper()} {operation.path}: {exc}")
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert len(calls) > 5 * len(operations)  # every operation really was exercised
    assert "POST /api/posts/{post_id}/approve" in checked
    assert "POST /hooks/articles" in checked
