"""Admins add, change and remove channels through the API and the command line, without a
restart: the worker composes and delivers for a channel added a moment ago, signing with the
secret the app keeps (sealed in the database, never shown again); the site file's channels
are listed but changed only in the file; every change is audited and bad input is refused with
the field it names, leaving nothing stored."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import select, text

from syndicate import signatures
from syndicate.channelstore import ChannelDirectory
from syndicate.models import AuditEntry, Role
from syndicate.runtime import Runtime
from tests.client import Client, article, envelope
from tests.fakes.receiver import Receiver
from tests.people import Person
from tests.servers import wait_until

SIGNING_SECRET = "desk-added-signing-secret-5f0c9a7e2b"


def hook_channel(receiver: Receiver, name: str = "desk-wire") -> dict[str, object]:
    return {
        "name": name,
        "platform": "webhook",
        "url": f"{receiver.url}/{name}",
        "auto_approve": True,
        "secret": SIGNING_SECRET,
    }


def audit_actions(runtime: Runtime) -> list[str]:
    with runtime.factory() as session:
        return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


@pytest.mark.usefixtures("worker")
def test_a_channel_added_through_the_api_gets_the_next_article_signed_with_its_kept_secret(
    client: Client, receiver: Receiver, runtime: Runtime
) -> None:
    added = client.api("POST", "/channels", json=hook_channel(receiver))
    assert added.status_code == 201, added.text
    answer = added.json()
    assert answer["source"] == "app" and answer["secret"] == "set"
    assert answer["credentials"] == {
        "secret": "set",
        "refresh_token": "unset",
        "client_secret": "unset",
    }
    assert SIGNING_SECRET not in added.text
    listed = {c["name"]: c for c in client.api("GET", "/channels").json()}
    assert listed["desk-wire"]["platform"] == "webhook"
    shown = client.api("GET", "/channels/newsroom-hook").json()
    assert shown["source"] == "file"

    art = article("app-channel-1", title="Desk-added channel works")
    assert client.send(envelope(art)).status_code == 202
    (sent,) = wait_until(lambda: receiver.received("/desk-wire"), timeout=60)
    assert sent.json()["article"]["id"] == "app-channel-1"
    signatures.verify(sent.headers["syndicate-signature"], sent.body, [SIGNING_SECRET.encode()])

    with runtime.engine.connect() as connection:
        stored = connection.execute(text("SELECT credentials FROM channels")).scalar_one()
    assert SIGNING_SECRET not in stored and stored.startswith("gAAAAA")
    assert audit_actions(runtime) == ["add_channel"]


def test_changes_are_checked_and_the_site_file_s_channels_are_left_to_the_file(
    client: Client, receiver: Receiver, runtime: Runtime, people: dict[Role, Person]
) -> None:
    assert client.api("POST", "/channels", json=hook_channel(receiver)).status_code == 201
    again = client.api("POST", "/channels", json=hook_channel(receiver))
    assert again.status_code == 409 and "already exists" in again.json()["message"]
    filed = client.api("POST", "/channels", json=hook_channel(receiver, "wire"))
    assert filed.status_code == 409 and "site file" in filed.json()["message"]
    assert client.api("PATCH", "/channels/wire", json={"auto_approve": False}).status_code == 409

    for body, named in (
        ({**hook_channel(receiver, "odd"), "colour": "red"}, "colour"),
        ({**hook_channel(receiver, "odd"), "platform": "myspace"}, "platform"),
        ({**hook_channel(receiver, "odd"), "max_hashtags": 99}, "max_hashtags"),
        ({**hook_channel(receiver, "odd"), "secret_env": "HOOK"}, "secret_env"),
        ({**hook_channel(receiver, "odd"), "secret": 7}, "secret"),
        ({**hook_channel(receiver, "odd"), "first_reply": "posts/x.j2"}, "first_reply"),
    ):
        refused = client.api("POST", "/channels", json=body)
        assert refused.status_code == 422, body
        assert named in refused.json()["message"], refused.json()
    assert client.api("GET", "/channels/odd").status_code == 404

    changed = client.api("PATCH", "/channels/desk-wire", json={"auto_approve": False})
    assert changed.status_code == 200 and changed.json()["options"]["auto_approve"] is False
    assert changed.json()["credentials"]["secret"] == "set"
    moved = client.api("PATCH", "/channels/desk-wire", json={"platform": "x"})
    assert moved.status_code == 422 and "platform cannot change" in moved.json()["message"]
    editor = {"Authorization": f"Bearer {people[Role.EDITOR].token}"}
    refused = client.http.request("DELETE", "/api/channels/desk-wire", headers=editor)
    assert refused.status_code == 403
    assert client.api("DELETE", "/channels/desk-wire").status_code == 204
    assert client.api("DELETE", "/channels/desk-wire").status_code == 404
    assert "desk-wire" not in {c["name"] for c in client.api("GET", "/channels").json()}
    assert audit_actions(runtime) == ["add_channel", "edit_channel", "remove_channel"]


def test_the_command_line_adds_edits_and_removes_a_channel_read_from_standard_input(
    stack_env: dict[str, str], receiver: Receiver, client: Client
) -> None:
    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "syndicate.cli", "channels", *args],
            input=stdin,
            env={**stack_env, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )

    added = run("add", stdin=json.dumps(hook_channel(receiver, "cli-wire")))
    assert added.returncode == 0, added.stderr
    assert "added cli-wire (webhook)" in added.stdout
    assert "cli-wire\twebhook\tautomatic\tsending" in run("list").stdout
    assert run("edit", "cli-wire", stdin='{"auto_approve": false}').returncode == 0
    assert "cli-wire\twebhook\treviewed" in run("list").stdout
    refused = run("add", stdin=json.dumps({**hook_channel(receiver, "cli-wire")}))
    assert refused.returncode == 1 and "already exists" in refused.stderr
    assert run("remove", "cli-wire").returncode == 0
    assert "cli-wire" not in run("list").stdout


def test_a_process_sees_a_channel_added_elsewhere_within_its_refresh_window(
    client: Client, receiver: Receiver, runtime: Runtime
) -> None:
    directory = ChannelDirectory(fresh_seconds=1.0)
    assert directory.config(runtime.file_config, runtime.factory).channel("desk-wire") is None
    assert client.api("POST", "/channels", json=hook_channel(receiver)).status_code == 201
    seen = wait_until(
        lambda: directory.config(runtime.file_config, runtime.factory).channel("desk-wire"),
        timeout=10,
    )
    assert seen.added_in_app and seen.secret() == SIGNING_SECRET
    assert client.api("DELETE", "/channels/desk-wire").status_code == 204
    wait_until(
        lambda: directory.config(runtime.file_config, runtime.factory).channel("desk-wire") is None,
        timeout=10,
    )
