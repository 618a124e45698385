"""`channels check`: one harmless, documented read per platform that proves the credentials
work, and an honest verdict where a platform has none; the same check made regularly from the
beat, recorded, and a refused channel paused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from syndicate import channelhealth
from syndicate.checks import check_channels
from syndicate.config import ChannelConfig, SyndicateConfig
from syndicate.models import ChannelHealth, ChannelState, utcnow
from syndicate.platforms import bluesky
from syndicate.runtime import Runtime
from tests.fakes.mastodon_mock import TOKEN as MASTODON_TOKEN
from tests.fakes.mastodon_mock import MastodonMock
from tests.fakes.pds import DID, HANDLE, PASSWORD, FakePDS
from tests.fakes.receiver import Received, Receiver, running_receiver

SECRETS = {
    "CHECK_MASTODON": MASTODON_TOKEN,
    "CHECK_BLUESKY": PASSWORD,
    "CHECK_TOKEN": "good-token",
    "CHECK_BAD": "expired-token",
}


def platform_reads(request: Received) -> tuple[Any, ...]:
    """The documented answers of each platform's "who am I" read, for the right token."""
    auth = request.headers.get("authorization", "")
    if "expired-token" in auth or "expired-token" in request.path:
        return 401, b'{"title": "Unauthorized", "status": 401}'
    path = request.path.split("?")[0]
    answers: dict[str, Any] = {
        "/2/users/me": {"data": {"id": "2244994945", "username": "newsroom"}},
        "/v2/userinfo": {"sub": "782bbtaQ", "name": "Ada Reporter"},
        "/1234567890": {"id": "1234567890", "name": "Harbour Gazette"},
        "/17841400000": {"id": "17841400000", "username": "harbourgazette"},
        "/botgood-token/getMe": {"ok": True, "result": {"id": 1, "username": "gazette_bot"}},
        "/botgood-token/getChat": {"ok": True, "result": {"id": -100, "title": "Gazette"}},
        "/botgood-token/getChatMember": {"ok": True, "result": {"status": "member"}},
        "/api/webhooks/1/abc": {"name": "Gazette", "channel_id": "99"},
    }
    trusted = path.startswith(("/bot", "/api/webhooks")) or "good-token" in auth + request.path
    if path in answers and trusted:
        return 200, json.dumps(answers[path]).encode()
    return 404, b'{"error": "not found"}'


@pytest.fixture
def platforms() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        receiver.respond = platform_reads
        yield receiver


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch, platforms: Receiver) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CHECK_DISCORD", f"{platforms.url}/api/webhooks/1/abc")


def config(*channels: ChannelConfig) -> SyndicateConfig:
    return SyndicateConfig(site={"title": "T"}, channels=list(channels))  # type: ignore[arg-type]


@pytest.fixture
def peers() -> Iterator[tuple[MastodonMock, FakePDS]]:
    mastodon, pds = MastodonMock(), FakePDS()
    bluesky._sessions.clear()
    yield mastodon, pds
    mastodon.stop()
    pds.stop()


def channel(name: str, platform: str, url: str = "", target: str = "", secret: str = "") -> Any:
    return ChannelConfig(name=name, platform=platform, url=url, target=target, secret_env=secret)


def test_each_platform_says_whose_credentials_work(
    platforms: Receiver, peers: tuple[MastodonMock, FakePDS]
) -> None:
    url, (mastodon, pds) = platforms.url, peers
    results = check_channels(
        config(
            channel("m", "mastodon", mastodon.url, secret="CHECK_MASTODON"),
            channel("b", "bluesky", pds.url, HANDLE, "CHECK_BLUESKY"),
            channel("x", "x", url, secret="CHECK_TOKEN"),
            channel("li", "linkedin", url, secret="CHECK_TOKEN"),
            channel("fb", "facebook", url, "1234567890", "CHECK_TOKEN"),
            channel("th", "threads", url, "17841400000", "CHECK_TOKEN"),
            channel("tg", "telegram", url, "@gazette", "CHECK_TOKEN"),
            channel("dc", "discord", secret="CHECK_DISCORD"),
        )
    )
    verdicts = {r.channel: (r.verdict, r.detail) for r in results}
    assert verdicts["m"][0] == "ok" and verdicts["m"][1].startswith("signed in as @")
    assert verdicts["b"] == ("ok", f"signed in as {HANDLE} ({DID})")
    assert verdicts["x"] == ("ok", "signed in as @newsroom")
    assert verdicts["li"] == ("ok", "signed in as Ada Reporter")
    assert verdicts["fb"] == ("ok", "signed in as Harbour Gazette")
    assert verdicts["th"] == ("ok", "signed in as @harbourgazette")
    assert verdicts["tg"] == ("ok", "signed in as @gazette_bot in Gazette")
    assert verdicts["dc"] == ("ok", "signed in as webhook Gazette in channel 99")
    # Each read was a GET or a read-only method, never a post.
    paths = [r.path.split("?")[0] for r in platforms.received()]
    assert not any(
        p.endswith(("/tweets", "/posts", "/feed", "/threads", "sendMessage")) for p in paths
    )


def test_refused_or_missing_credentials_need_attention(platforms: Receiver) -> None:
    results = check_channels(
        config(
            ChannelConfig(name="x", platform="x", url=platforms.url, secret_env="CHECK_BAD"),
            ChannelConfig(name="nosecret", platform="x", url=platforms.url, secret_env="UNSET_VAR"),
            ChannelConfig(name="hook", platform="webhook", url=platforms.url),
            ChannelConfig(name="slack", platform="slack", secret_env="CHECK_TOKEN"),
            ChannelConfig(name="off", platform="x", enabled=False),
        )
    )
    verdicts = {r.channel: (r.verdict, r.detail) for r in results}
    assert verdicts["x"][0] == "attention"
    assert verdicts["x"][1].startswith("credentials refused: HTTP 401")
    assert verdicts["nosecret"] == (
        "attention",
        "credentials refused: no credential: set the environment variable named by secret_env "
        "for channel 'nosecret'",
    )
    assert verdicts["hook"] == (
        "unchecked",
        "webhook has no way to check credentials without posting",
    )
    assert verdicts["slack"][0] == "unchecked"
    assert verdicts["off"] == ("disabled", "not in use")


def test_the_command_lists_verdicts_and_fails_when_a_channel_needs_attention(
    tmp_path: Path, platforms: Receiver
) -> None:
    path = tmp_path / "syndicate.toml"
    path.write_text(
        f"""[site]
title = "T"
[[channels]]
name = "x-good"
platform = "x"
url = "{platforms.url}"
secret_env = "CHECK_TOKEN"
[[channels]]
name = "x-expired"
platform = "x"
url = "{platforms.url}"
secret_env = "CHECK_BAD"
""",
        encoding="utf-8",
    )
    env = {**os.environ, "SYNDICATE_CONFIG": str(path)}
    done = subprocess.run(
        [sys.executable, "-m", "syndicate.cli", "channels", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "x-good\tok\tsigned in as @newsroom"
    assert lines[1].startswith("x-expired\tattention\tcredentials refused: HTTP 401")


def test_the_regular_check_records_each_channel_once_an_interval_and_pauses_a_refused_one(
    platforms: Receiver, runtime: Runtime, clean: None
) -> None:
    checked = config(
        ChannelConfig(name="x-good", platform="x", url=platforms.url, secret_env="CHECK_TOKEN"),
        ChannelConfig(name="x-expired", platform="x", url=platforms.url, secret_env="CHECK_BAD"),
        ChannelConfig(name="hook", platform="webhook", url=platforms.url),
        ChannelConfig(name="off", platform="x", enabled=False),
    )
    start = utcnow()
    with runtime.factory.begin() as session:
        handed = channelhealth.due(session, checked, start, interval_seconds=3600)
    assert handed == ["hook", "x-expired", "x-good"]  # the disabled channel is not checked
    with runtime.factory.begin() as session:
        assert channelhealth.due(session, checked, start, interval_seconds=3600) == []

    for name in handed:
        assert channelhealth.check(runtime.factory, name, checked, lambda: start) is not None
    with runtime.factory() as session:
        health = channelhealth.recorded(session)
        state = session.get(ChannelState, "x-expired")
    assert (health["x-good"].verdict, health["x-good"].failing_since) == ("ok", None)
    assert health["x-expired"].verdict == "attention" and health["x-expired"].failing_since
    assert health["hook"].verdict == "unchecked"
    assert state is not None and state.paused and state.needs_credentials
    assert "the regular check: credentials refused" in state.reason

    later = start + timedelta(minutes=61)
    with runtime.factory.begin() as session:
        again = channelhealth.due(session, checked, later, interval_seconds=3600)
    assert again == ["hook", "x-expired", "x-good"]
    channelhealth.check(runtime.factory, "x-expired", checked, lambda: later)
    with runtime.factory() as session:
        still = session.get_one(ChannelHealth, "x-expired")
    assert still.failing_since == health["x-expired"].failing_since  # failing since the first
