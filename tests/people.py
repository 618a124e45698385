"""People with each role, and API tokens for them (the `people` fixture)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from syndicate.models import Role, utcnow
from syndicate.runtime import Runtime
from syndicate.signin import create_token
from syndicate.users import create_user

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Person:
    username: str
    role: Role
    token: str
    token_id: int


@pytest.fixture
def people(runtime: Runtime, clean: None) -> dict[Role, Person]:
    found = {}
    with runtime.factory.begin() as session:
        for role in Role:
            user = create_user(session, f"{role.value}-1", PASSWORD, role, timezone="Europe/Paris")
            row, token = create_token(session, user, "tests", utcnow())
            found[role] = Person(user.username, role, token, row.id)
    return found
