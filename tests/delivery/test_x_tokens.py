"""X's OAuth 2.0 user tokens expire every two hours and their refresh tokens work once: the
newest pair lives in the database, and however many workers find the token expired at once,
the refresh token is spent exactly once."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

from syndicate.config import ChannelConfig
from syndicate.models import ChannelToken, utcnow
from syndicate.platforms.base import DeliveryError, Draft
from syndicate.platforms.options import Grant
from syndicate.platforms.x import X
from syndicate.runtime import Runtime
from syndicate.tokens import TokenVault
from tests.fakes.x_api import CLIENT_ID, CLIENT_SECRET, FakeX

LINK = "https://news.example.com/2026/11/ferry?utm_source=x"


@pytest.fixture
def x_api(clean: None) -> Iterator[FakeX]:
    server = FakeX()
    os.environ["TEST_X_CLIENT_SECRET"] = CLIENT_SECRET
    yield server
    server.stop()


def channel(x_api: FakeX, **fields: str) -> ChannelConfig:
    values = {
        "name": "x-main",
        "platform": "x",
        "url": x_api.url,
        "secret_env": "TEST_X_ACCESS",
        "refresh_token_env": "TEST_X_REFRESH",
        "client_id": CLIENT_ID,
        "client_secret_env": "TEST_X_CLIENT_SECRET",
        "timeout_seconds": 2,
        **fields,
    }
    return ChannelConfig(**values)  # type: ignore[arg-type]


def adapter(x_api: FakeX, runtime: Runtime) -> X:
    return X(channel(x_api), requests.Session(), TokenVault(runtime.factory))


def draft(text: str = f"Ferry timetable changes {LINK}") -> Draft:
    return Draft(text=text, link=LINK)


def stored(runtime: Runtime) -> ChannelToken | None:
    with runtime.factory() as session:
        return session.get(ChannelToken, "x-main")


def test_the_configured_tokens_are_used_then_rotated_and_kept_in_the_database(
    x_api: FakeX, runtime: Runtime
) -> None:
    access, refresh = x_api.issue(lifetime=-1)  # already expired when the channel first posts
    os.environ["TEST_X_ACCESS"], os.environ["TEST_X_REFRESH"] = access, refresh

    receipt = adapter(x_api, runtime).send(draft(), "k")

    assert [t["id"] for t in x_api.posted()] == [receipt.remote_id]
    (exchange,) = x_api.token_requests
    assert exchange["grant_type"] == "refresh_token" and exchange["refresh_token"] == refresh
    assert exchange["client_id"] == CLIENT_ID
    assert exchange["basic"] == f"{CLIENT_ID}:{CLIENT_SECRET}"
    kept = stored(runtime)
    assert kept is not None and kept.refresh_token not in ("", refresh)
    assert kept.expires_at is not None and kept.expires_at > utcnow() + timedelta(hours=1)

    # Another worker, with the same stale environment, uses the stored pair as it is.
    adapter(x_api, runtime).send(draft(f"A second post {LINK}"), "k2")
    assert len(x_api.token_requests) == 1 and len(x_api.posted()) == 2


def test_a_token_about_to_expire_is_refreshed_before_the_call(
    x_api: FakeX, runtime: Runtime
) -> None:
    access, refresh = x_api.issue()
    TokenVault(runtime.factory).store(
        "x-main", Grant(access, refresh, utcnow() + timedelta(seconds=30))
    )
    adapter(x_api, runtime).send(draft(), "k")
    assert len(x_api.token_requests) == 1
    kept = stored(runtime)
    assert kept is not None and kept.access_token != access


def test_workers_that_find_the_token_expired_together_spend_the_refresh_token_once(
    x_api: FakeX, runtime: Runtime
) -> None:
    access, refresh = x_api.issue(lifetime=-1)
    TokenVault(runtime.factory).store("x-main", Grant(access, refresh, utcnow()))
    failures: list[Exception] = []

    def post(number: int) -> None:
        try:
            adapter(x_api, runtime).send(draft(f"Post {number} {LINK}"), f"k{number}")
        except Exception as exc:  # collected for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(x_api.posted()) == 6
    assert [r["refresh_token"] for r in x_api.token_requests] == [refresh]


def test_a_refused_refresh_token_is_a_credentials_failure(x_api: FakeX, runtime: Runtime) -> None:
    TokenVault(runtime.factory).store("x-main", Grant("", "revoked-refresh-token", None))
    with pytest.raises(DeliveryError) as error:
        adapter(x_api, runtime).send(draft(), "k")
    assert error.value.permanent and error.value.credentials
    assert "Value passed for the token was invalid" in error.value.message
    assert x_api.posted() == []


def test_a_channel_without_a_refresh_token_sends_its_access_token_as_it_is(
    x_api: FakeX, runtime: Runtime
) -> None:
    access, _refresh = x_api.issue()
    os.environ["TEST_X_ACCESS"] = access
    plain = X(channel(x_api, refresh_token_env=""), requests.Session(), None)
    plain.send(draft(), "k")
    assert x_api.token_requests == [] and stored(runtime) is None
    assert len(x_api.posted()) == 1


def test_it_finds_its_own_post_among_the_account_s_recent_posts(
    x_api: FakeX, runtime: Runtime
) -> None:
    access, refresh = x_api.issue()
    os.environ["TEST_X_ACCESS"], os.environ["TEST_X_REFRESH"] = access, refresh
    x = adapter(x_api, runtime)
    x.send(draft("Another story https://news.example.com/other"), "k0")
    assert x.find_sent(draft()) is None
    sent = x.send(draft(), "k1")
    x.send(draft("Yet another https://news.example.com/third"), "k2")

    found = x.find_sent(draft())

    assert found is not None and found.remote_id == sent.remote_id
    assert found.url == f"https://x.com/i/web/status/{sent.remote_id}"
