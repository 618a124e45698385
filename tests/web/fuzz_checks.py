"""Checks of our own for the schemathesis command line (it loads this module through
SCHEMATHESIS_HOOKS): every error answer is a JSON body that says what is wrong, except on the
pages made for people (the Mastodon share page, say), which explain it in HTML."""

from __future__ import annotations

from typing import Any

import schemathesis

PAGES_FOR_PEOPLE = ("/share/{article_id}/mastodon",)


def _is_html(response: Any) -> bool:
    headers = {name.lower(): values for name, values in response.headers.items()}
    return bool(headers.get("content-type", [""])[0].startswith("text/html"))


@schemathesis.check
def errors_say_what_is_wrong(ctx: Any, response: Any, case: Any) -> bool | None:
    if response.status_code < 400 or case.method.upper() == "HEAD":
        return None
    if case.path in PAGES_FOR_PEOPLE and _is_html(response):
        assert '<p class="error"' in response.text, f"no explanation: {case.formatted_path}"
        return None
    shown = f"{case.method} {case.formatted_path} {response.status_code} {response.text[:200]!r}"
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"not JSON: {shown}") from None
    assert isinstance(body, dict) and body.get("message"), shown
    return None
