"""Signing in to the review app over HTTP, as a browser does: the login form's CSRF cookie
and field, then the session cookie."""

from __future__ import annotations

import re

import httpx

from tests.people import PASSWORD


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def signed_in(base_url: str, username: str, password: str = PASSWORD) -> httpx.Client:
    http = httpx.Client(base_url=base_url, timeout=30)
    form = http.get("/review/login")
    response = http.post(
        "/review/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 303, response.text
    return http
