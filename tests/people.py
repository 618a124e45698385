"""People with each role, and API tokens for them (the `people` fixture)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher

from syndicate.models import Role, User, utcnow
from syndicate.runtime import Runtime
from syndicate.signin import create_token

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Person:
    username: str
    role: Role
    token: str
    token_id: int


@functools.cache
def password_hash() -> str:
    """PASSWORD's argon2 hash, made once: each hash takes a good part of a second, by design."""
    return PasswordHasher().hash(PASSWORD)


@pytest.fixture
def people(runtime: Runtime, clean: None) -> dict[Role, Person]:
    """A user of each role (`<role>-1`, PASSWORD), as `syndicate users create` makes them."""
    found = {}
    with runtime.factory.begin() as session:
        for role in Role:
            name = f"{role.value}-1"
            user = User(
                username=name,
                name=name,
                password_hash=password_hash(),
                role=role,
                timezone="Europe/Paris",
            )
            session.add(user)
            session.flush()
            row, token = create_token(session, user, "tests", utcnow())
            found[role] = Person(user.username, role, token, row.id)
    return found
