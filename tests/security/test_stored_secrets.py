"""Credentials the service stores are encrypted under SYNDICATE_SECRET_KEY: the database, and a
dump of it, never hold their bytes; a new key put first reads what the old one sealed, and
`syndicate secrets rotate` re-seals everything (tokens stored in the clear by an older release
too) so that the old key can go; without a key nothing is stored and the channel says why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import requests
from sqlalchemy import Engine, text

from syndicate import channelstore
from syndicate.config import ChannelConfig
from syndicate.connect import attempts
from syndicate.db import make_engine, make_session_factory
from syndicate.migrate import upgrade
from syndicate.models import utcnow
from syndicate.platforms.base import DeliveryError
from syndicate.platforms.options import Grant, VaultClosed
from syndicate.platforms.x import X
from syndicate.runtime import Runtime, build_runtime
from syndicate.tokens import TokenVault
from syndicate.web.app import create_app
from tests.conftest import API_TOKEN, SECRET_KEY
from tests.servers import WebServer

ACCESS = "access-token-b3f1c2d9e8a7f6051234"
REFRESH = "refresh-token-9c8b7a6f5e4d3c2b1a00"
NEW_KEY = "a-newer-secret-key-for-rotation-0123456789"


def vault(engine: Engine) -> TokenVault:
    return TokenVault(make_session_factory(engine))


def raw_tokens(engine: Engine) -> tuple[str, str]:
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT access_token, refresh_token FROM channel_tokens WHERE channel = 'x-main'")
        ).one()
    return row[0], row[1]


def keyed(runtime: Runtime, keys: str) -> Engine:
    return make_engine(runtime.settings.effective_database_url, keys)


def rotate(stack_env: dict[str, str], keys: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syndicate.cli", "secrets", "rotate"],
        env={**stack_env, "SYNDICATE_SECRET_KEY": keys, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_tokens_are_stored_encrypted_and_neither_the_tables_nor_a_dump_hold_them(
    runtime: Runtime, clean: None
) -> None:
    TokenVault(runtime.factory).store("x-main", Grant(ACCESS, REFRESH))
    access, refresh = raw_tokens(runtime.engine)
    assert access.startswith("gAAAAA") and refresh.startswith("gAAAAA")
    url = runtime.settings.effective_database_url.replace("postgresql+psycopg://", "postgresql://")
    dump = subprocess.run(
        ["pg_dump", "--data-only", url], capture_output=True, check=True, timeout=120
    ).stdout
    assert b"channel_tokens" in dump
    assert ACCESS.encode() not in dump and REFRESH.encode() not in dump
    assert TokenVault(runtime.factory).access_token("x-main", None, _never_refresh) == ACCESS


def test_a_new_key_reads_the_old_seal_and_rotation_lets_the_old_key_go(
    runtime: Runtime, stack_env: dict[str, str], clean: None
) -> None:
    TokenVault(runtime.factory).store("x-main", Grant(ACCESS, REFRESH))
    with runtime.factory.begin() as session:
        hook = {"name": "wire-8", "platform": "webhook", "url": "https://r.example/"}
        channelstore.add(session, runtime.file_config, hook, {"secret": "s3"}, "t", utcnow())
        attempts.keep_client(session, "https://m.example", "https://a/b", "id", "cs", utcnow())
    both = f"{NEW_KEY},{SECRET_KEY}"
    assert vault(keyed(runtime, both)).access_token("x-main", None, _never_refresh) == ACCESS
    with pytest.raises(VaultClosed, match="SYNDICATE_SECRET_KEY"):
        vault(keyed(runtime, NEW_KEY)).access_token("x-main", None, _never_refresh)

    done = rotate(stack_env, both)
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 4 stored credential(s)" in done.stdout
    assert vault(keyed(runtime, NEW_KEY)).access_token("x-main", None, _never_refresh) == ACCESS
    with make_session_factory(keyed(runtime, NEW_KEY))() as session:
        assert channelstore.stored_channels(session)[0].secret() == "s3"
        client = attempts.registered_client(session, "https://m.example", "https://a/b")
        assert client is not None and client.client_secret == "cs"
    with pytest.raises(VaultClosed):
        vault(runtime.engine).access_token("x-main", None, _never_refresh)  # the old key alone


def test_rotation_seals_tokens_an_older_release_stored_in_the_clear(
    runtime: Runtime, stack_env: dict[str, str], clean: None
) -> None:
    with runtime.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO channel_tokens (channel, access_token, refresh_token) "
                "VALUES ('x-main', :access, :refresh)"
            ),
            {"access": ACCESS, "refresh": REFRESH},
        )
    done = rotate(stack_env, SECRET_KEY)
    assert done.returncode == 0, done.stderr
    access, refresh = raw_tokens(runtime.engine)
    assert ACCESS not in access and REFRESH not in refresh and access.startswith("gAAAAA")
    assert TokenVault(runtime.factory).access_token("x-main", None, _never_refresh) == ACCESS


def test_rotation_with_a_key_that_opens_nothing_changes_nothing(
    runtime: Runtime, stack_env: dict[str, str], clean: None
) -> None:
    TokenVault(runtime.factory).store("x-main", Grant(ACCESS, REFRESH))
    before = raw_tokens(runtime.engine)
    done = rotate(stack_env, NEW_KEY)
    assert done.returncode == 1
    assert "cannot be decrypted" in done.stderr and "nothing was changed" in done.stderr
    assert raw_tokens(runtime.engine) == before


def test_without_a_key_no_token_is_stored_and_the_channel_says_what_to_set(
    runtime: Runtime, clean: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_X_ACCESS", ACCESS)
    monkeypatch.setenv("TEST_X_REFRESH", REFRESH)
    unkeyed = keyed(runtime, "")
    with pytest.raises(VaultClosed, match="set SYNDICATE_SECRET_KEY"):
        vault(unkeyed).store("x-main", Grant(ACCESS, REFRESH))
    with runtime.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM channel_tokens")).scalar() == 0
    channel = ChannelConfig(
        name="x-main",
        platform="x",
        url="http://127.0.0.1:9",
        secret_env="TEST_X_ACCESS",
        refresh_token_env="TEST_X_REFRESH",
        client_id="client",
    )
    x = X(channel, requests.Session(), vault(unkeyed))
    with pytest.raises(DeliveryError, match="set SYNDICATE_SECRET_KEY") as error:
        x.bearer()
    assert error.value.permanent and error.value.credentials


def _never_refresh(refresh_token: str) -> Grant:
    raise AssertionError("a live token must not be refreshed")


def test_the_embedded_sqlite_files_hold_none_of_the_stored_credentials(
    runtime: Runtime, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'embedded.db'}"
    upgrade(url)
    embedded = build_runtime(runtime.settings.model_copy(update={"database_url": url}))
    server = WebServer(create_app(embedded)).start()
    hook_secret, app_password = "hook-signing-secret-6a1f0e", "bluesky-app-password-93c2"
    try:
        http = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {API_TOKEN}"})
        for channel in (
            {
                "name": "wire-9",
                "platform": "webhook",
                "url": "https://r.example/",
                "secret": hook_secret,
            },
            {"name": "sky-9", "platform": "bluesky", "target": "a.test", "secret": app_password},
        ):
            assert http.post("/api/channels", json=channel).status_code == 201
        TokenVault(embedded.factory).store("x-main", Grant(ACCESS, REFRESH))
        assert embedded.config.channel("sky-9").secret() == app_password  # type: ignore[union-attr]
    finally:
        server.stop()
        embedded.engine.dispose()
    files = list(tmp_path.glob("embedded.db*"))  # the database, and its WAL if one is left
    raw = b"".join(path.read_bytes() for path in files)
    assert b"wire-9" in raw  # the rows are there
    for secret in (hook_secret, app_password, ACCESS, REFRESH):
        assert secret.encode() not in raw
