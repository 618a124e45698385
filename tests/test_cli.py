"""The `syndicate` command line against the test database."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from syndicate import channels
from syndicate.articles import receive
from syndicate.cms import parse_generic
from syndicate.feeds.build import rebuild_for_article
from syndicate.models import ChannelToken, FeedDocument, utcnow
from syndicate.runtime import Runtime
from tests.client import article, envelope


def syndicate(
    *args: str, env: dict[str, str], given: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syndicate.cli", *args],
        env={**os.environ, **env},
        input=given,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_pause_and_resume_a_channel_or_everything(
    stack_env: dict[str, str], runtime: Runtime, clean: None
) -> None:
    paused = syndicate("pause", "wire", "--reason", "checking a story", env=stack_env)
    assert paused.returncode == 0 and paused.stdout.strip() == "channel wire paused"
    with runtime.factory() as session:
        assert channels.paused_because(session, "wire") == (
            "the channel is paused: checking a story"
        )
    assert syndicate("pause", env=stack_env).stdout.strip() == "every channel paused"
    assert syndicate("resume", env=stack_env).returncode == 0
    assert syndicate("resume", "wire", env=stack_env).returncode == 0
    with runtime.factory() as session:
        assert channels.paused_because(session, "wire") is None
    unknown = syndicate("pause", "nope", env=stack_env)
    assert unknown.returncode == 2 and "no channel 'nope'" in unknown.stderr


def test_rebuild_feeds_renders_every_feed_again(
    stack_env: dict[str, str], runtime: Runtime, clean: None
) -> None:
    receive(runtime.factory, parse_generic(envelope(article("cli-1"))), utcnow())
    rebuild_for_article(
        runtime.factory, "cli-1", runtime.config.site, runtime.feed_settings, utcnow()
    )
    with runtime.factory.begin() as session:
        session.execute(FeedDocument.__table__.delete())
    result = syndicate("rebuild-feeds", env=stack_env)
    assert result.returncode == 0, result.stderr
    assert "rebuilt 5 feeds" in result.stdout  # site, 2 tags, 1 author, 1 section
    with runtime.factory() as session:
        keys = set(session.scalars(select(FeedDocument.key)))
    assert {
        "rss.xml",
        "atom.xml",
        "feed.json",
        "tags/transport/rss.xml",
        "authors/ada-reporter/feed.json",
        "sections/city/atom.xml",
    } <= keys


def test_users_create_list_token_disable_and_revoke(
    stack_env: dict[str, str], web: object, clean: None
) -> None:
    import httpx

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "syndicate.cli", "users", *args],
            env={**os.environ, **stack_env},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    created = run(
        "create", "Sam", "--role", "approver", "--password-stdin", stdin="long enough pw\n"
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "user sam created (approver)"
    short = run("create", "kim", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    twice = run("create", "sam", "--password-stdin", stdin="long enough pw\n")
    assert "there is already a user 'sam'" in twice.stderr
    assert run("list").stdout.splitlines() == ["sam\tapprover\tactive\tsam"]

    issued = run("token", "sam", "--name", "automation")
    token = issued.stdout.strip()
    assert token.startswith("syn_") and token not in issued.stderr
    api = f"{stack_env['SYNDICATE_BASE_URL']}/api/posts"
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(api, headers=headers).status_code == 200
    token_id = issued.stderr.split()[1]
    assert run("revoke-token", token_id).stdout.strip() == f"token {token_id} revoked"
    assert httpx.get(api, headers=headers).status_code == 401

    assert run("disable", "sam").returncode == 0
    assert run("list").stdout.splitlines() == ["sam\tapprover\tdisabled\tsam"]
    assert run("role", "nobody", "viewer").returncode == 1


def test_doctor_gives_each_part_a_verdict(
    stack_env: dict[str, str], worker: object, beat: object, tmp_path: object
) -> None:
    from pathlib import Path

    from tests.servers import free_port, wait_until

    healthy = wait_until(lambda: (r := syndicate("doctor", env=stack_env)).returncode == 0 and r)
    lines = healthy.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok    configuration",
        "ok    credentials",
        "ok    database",
        "ok    broker",
        "ok    worker",
    ]
    assert "schema up to date" in lines[2]

    broken = Path(str(tmp_path)) / "broken.toml"
    broken.write_text('[site]\ntitle = ""\n', encoding="utf-8")
    env = {
        **stack_env,
        "SYNDICATE_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "SYNDICATE_CONFIG": str(broken),
    }
    sick = syndicate("doctor", env=env)
    assert sick.returncode == 1
    assert sick.stdout.splitlines()[0].startswith(f"FAIL  configuration: {broken}: invalid")
    assert "FAIL  broker: unreachable" in sick.stdout
    assert "FAIL  worker: unknown: the broker is unreachable" in sick.stdout


def test_preview_replay_and_channels_list(
    stack_env: dict[str, str], runtime: Runtime, clean: None
) -> None:
    event = parse_generic(envelope(article("cli-1"), delivery_id="cli-delivery-1"))
    receive(runtime.factory, event, utcnow())

    shown = syndicate("preview", "cli-1", "x-preview", env=stack_env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Council approves the new river crossing\n")
    assert "weighted characters" in shown.stderr
    assert syndicate("preview", "cli-1", "nope", env=stack_env).returncode == 1
    assert "no article 'gone'" in syndicate("preview", "gone", "x-preview", env=stack_env).stderr

    replayed = syndicate("replay", "cli-delivery-1", env=stack_env)
    assert replayed.stdout.strip() == (
        "delivery cli-delivery-1: queued feeds, card and posts for article cli-1"
    )
    assert syndicate("replay", "unknown", env=stack_env).returncode == 1

    syndicate("pause", "wire", "--reason", "a test", env=stack_env)
    listed = syndicate("channels", "list", env=stack_env).stdout.splitlines()
    assert listed == [
        "newsroom-hook\twebhook\treviewed\tsending",
        "x-preview\tx\treviewed\tdisabled",
        "bluesky-preview\tbluesky\treviewed\tdisabled",
        "wire\twebhook\tautomatic\tthe channel is paused: a test",
    ]
    syndicate("resume", "wire", env=stack_env)


def test_new_oauth_tokens_are_stored_and_a_channel_waiting_for_them_resumes(
    stack_env: dict[str, str], runtime: Runtime, clean: None
) -> None:
    with runtime.factory.begin() as session:
        channels.pause(session, "wire", "X refused the refresh token", utcnow(), True)

    stored = syndicate(
        "channels",
        "set-tokens",
        "wire",
        "--expires-in",
        "7200",
        env=stack_env,
        given="new-access\nnew-refresh\n",
    )

    assert stored.returncode == 0, stored.stderr
    assert "new-access" not in stored.stdout + stored.stderr
    with runtime.factory() as session:
        token = session.get_one(ChannelToken, "wire")
        assert (token.access_token, token.refresh_token) == ("new-access", "new-refresh")
        assert token.expires_at is not None and token.expires_at > utcnow()
        assert channels.paused_because(session, "wire") is None
    unknown = syndicate("channels", "set-tokens", "nope", env=stack_env, given="a\nb\n")
    assert unknown.returncode == 1 and "no channel named 'nope'" in unknown.stderr
