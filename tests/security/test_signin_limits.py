"""Failed sign-ins are limited per address as well as per username, so a stranger who knows a
username cannot lock its owner out from one address."""

from __future__ import annotations

import httpx

from syndicate.models import Role
from syndicate.runtime import Runtime
from syndicate.throttle import address_key
from syndicate.users import create_user
from tests.client import Client
from tests.people import PASSWORD
from tests.review.browser_session import csrf_of


def attempt(base_url: str, address: str, username: str, password: str) -> int:
    """One sign-in as a browser at `address` makes it (behind the loopback proxy we trust)."""
    with httpx.Client(base_url=base_url, headers={"X-Forwarded-For": address}) as http:
        form = http.get("/review/login")
        data = {"username": username, "password": password, "csrf_token": csrf_of(form.text)}
        return http.post("/review/login", data=data).status_code


def test_guessing_from_one_address_does_not_lock_the_owner_out_elsewhere(
    client: Client, runtime: Runtime
) -> None:
    with runtime.factory.begin() as session:
        create_user(session, "target", PASSWORD, Role.EDITOR)
    stranger, owner = "203.0.113.7", "198.51.100.9"
    assert [attempt(client.base_url, stranger, "target", f"no {n}") for n in range(10)] == [
        401
    ] * 10
    assert attempt(client.base_url, stranger, "target", PASSWORD) == 429
    assert attempt(client.base_url, owner, "target", PASSWORD) == 303


def test_an_address_that_keeps_failing_is_stopped_whatever_the_usernames(
    client: Client, runtime: Runtime
) -> None:
    with runtime.factory.begin() as session:
        create_user(session, "someone", PASSWORD, Role.VIEWER)
    sprayer = "2001:db8:5:6::1"
    assert {attempt(client.base_url, sprayer, f"user-{n}", "password1") for n in range(30)} == {401}
    # The same /64 is the same subscriber.
    assert attempt(client.base_url, "2001:db8:5:6::99", "someone", PASSWORD) == 429
    assert attempt(client.base_url, "2001:db8:5:7::1", "someone", PASSWORD) == 303


def test_addresses_are_counted_by_ipv4_address_and_ipv6_slash_64() -> None:
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert address_key("2001:db8:5:6:aaaa::1") == "2001:db8:5:6::/64"
