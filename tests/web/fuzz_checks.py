"""Checks of our own for the schemathesis command line (it loads this module through
SCHEMATHESIS_HOOKS): every error answer is a JSON body that says what is wrong."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.check
def errors_say_what_is_wrong(ctx: Any, response: Any, case: Any) -> bool | None:
    if response.status_code < 400 or case.method.upper() == "HEAD":
        return None
    shown = f"{case.method} {case.formatted_path} {response.status_code} {response.text[:200]!r}"
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"not JSON: {shown}") from None
    assert isinstance(body, dict) and body.get("message"), shown
    return None
