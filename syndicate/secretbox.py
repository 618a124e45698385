"""Credentials the service stores (OAuth tokens, app passwords, webhook URLs) are encrypted at
rest with Fernet, under the keys in SYNDICATE_SECRET_KEY: comma-separated, the first encrypts,
every one decrypts, so a new key can be put first and the old ones dropped once
`syndicate secrets rotate` has re-encrypted everything.

A key may be a Fernet key as `Fernet.generate_key()` prints it, or any long random string, from
which a Fernet key is derived (HKDF-SHA256), so the key an installation already signs with
serves here too.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import MetaData, Text, column, select, update
from sqlalchemy import table as sql_table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.types import TypeDecorator

from syndicate.settings import get_settings

# Every stored ciphertext starts so: a Fernet token is base64 of a version byte 0x80.
FERNET_PREFIX = "gAAAAA"


class NoSecretKey(RuntimeError):
    """A credential was to be stored or read and SYNDICATE_SECRET_KEY is not set."""


class UnreadableSecret(RuntimeError):
    """A stored credential none of the configured keys opens."""


def fernet_key(value: str) -> bytes:
    """The Fernet key a configured key stands for."""
    try:
        if len(base64.urlsafe_b64decode(value.encode())) == 32:
            return value.encode()
    except (binascii.Error, ValueError):
        pass
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"syndicate stored credentials"
    ).derive(value.encode())
    return base64.urlsafe_b64encode(derived)


@lru_cache(maxsize=8)
def _box(keys: str) -> MultiFernet:
    parts = [part.strip() for part in keys.split(",") if part.strip()]
    if not parts:
        raise NoSecretKey(
            "set SYNDICATE_SECRET_KEY: stored credentials are encrypted with it "
            "(the embedded mode generates one into var/secrets.env)"
        )
    return MultiFernet([Fernet(fernet_key(part)) for part in parts])


def configured_box(dialect: Dialect | None = None) -> MultiFernet:
    """The keys the engine was made with, or else those of the process's settings."""
    keys = getattr(dialect, "syndicate_secret_keys", None)
    return _box(get_settings().secret_key.get_secret_value() if keys is None else keys)


def seal(plain: str, box: MultiFernet | None = None) -> str:
    return (box or configured_box()).encrypt(plain.encode()).decode()


def unseal(stored: str, box: MultiFernet | None = None) -> str:
    try:
        return (box or configured_box()).decrypt(stored.encode()).decode()
    except InvalidToken as exc:
        raise UnreadableSecret(
            "a stored credential cannot be decrypted with any key in SYNDICATE_SECRET_KEY; "
            "put back the key it was stored under"
        ) from exc


def resealed(stored: str, box: MultiFernet | None = None) -> str:
    """The same secret encrypted under the first key (a value still in the clear, from before
    credentials were encrypted, is encrypted now)."""
    box = box or configured_box()
    if not stored.startswith(FERNET_PREFIX):
        return seal(stored, box)
    try:
        return box.rotate(stored.encode()).decode()
    except InvalidToken as exc:
        raise UnreadableSecret(
            "a stored credential cannot be decrypted with any key in SYNDICATE_SECRET_KEY"
        ) from exc


class Sealed(TypeDecorator[str]):
    """A text column whose value is stored encrypted; empty stays empty (nothing to hide)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value  # type: ignore[no-any-return]
        return seal(str(value), configured_box(dialect))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value  # type: ignore[no-any-return]
        if not str(value).startswith(FERNET_PREFIX):
            return str(value)  # stored before credentials were encrypted: resealed on rotate
        return unseal(str(value), configured_box(dialect))


def reseal_columns(connection: Connection, table: str, keys: list[str], columns: list[str]) -> int:
    """Encrypt every value of `columns` in `table` (whose primary key is `keys`) under the
    first key, read and written as raw text; how many values were rewritten."""
    box = configured_box(connection.dialect)
    key_columns = [column(name, Text) for name in keys]
    rows = connection.execute(
        select(*key_columns, *(column(name, Text) for name in columns)).select_from(
            sql_table(table)
        )
    ).all()
    changed = 0
    for row in rows:
        values = {
            name: resealed(value, box)
            for name, value in zip(columns, row[len(keys) :], strict=True)
            if value
        }
        if values:
            target = sql_table(table, *key_columns, *(column(n, Text) for n in values))
            matches = [target.c[name] == value for name, value in zip(keys, row, strict=False)]
            connection.execute(update(target).where(*matches).values(values))
            changed += len(values)
    return changed


def sealed_columns(metadata: MetaData) -> list[tuple[str, list[str], list[str]]]:
    """(table, primary key columns, sealed columns) for every table with sealed columns."""
    found = []
    for table in metadata.sorted_tables:
        sealed = [c.name for c in table.columns if isinstance(c.type, Sealed)]
        if sealed:
            found.append((table.name, [c.name for c in table.primary_key.columns], sealed))
    return found
