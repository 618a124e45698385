"""`syndicate users …`: accounts for the review app, and API tokens for automation."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from syndicate.cli.common import load_runtime
from syndicate.models import Role, User, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


def _factory() -> sessionmaker[Session]:
    return load_runtime().factory


@click.group()
def users() -> None:
    """Create, list and disable review-app users; issue and revoke API tokens."""


@users.command("create")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.VIEWER.value,
    show_default=True,
)
@click.option("--name", default="", help="the name shown in the app and the audit log")
@click.option("--timezone", default="UTC", show_default=True, help="an IANA time zone")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create(username: str, role: str, name: str, timezone: str, password_stdin: bool) -> None:
    """Create a user; asks for the password unless --password-stdin."""
    from syndicate.users import UserError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with _factory().begin() as session:
            user = create_user(session, username, password, role, name, timezone)
            click.echo(f"user {user.username} created ({user.role})")
    except UserError as exc:
        raise click.ClickException(str(exc)) from None


@users.command("list")
def list_() -> None:
    """Every user with their role and whether they may sign in."""
    from syndicate.users import list_users

    with _factory()() as session:
        for user in list_users(session):
            state = "disabled" if user.disabled else "active"
            click.echo(f"{user.username}\t{user.role}\t{state}\t{user.name}")


def _set(username: str, change: str, value: str | bool) -> User:
    from syndicate.users import UserError, set_disabled, set_role

    try:
        with _factory().begin() as session:
            if change == "role":
                return set_role(session, username, str(value))
            return set_disabled(session, username, bool(value))
    except UserError as exc:
        raise click.ClickException(str(exc)) from None


@users.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Stop a user signing in; their sessions and API tokens stop working at once."""
    _set(username, "disabled", True)
    click.echo(f"user {username} disabled")


@users.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    _set(username, "disabled", False)
    click.echo(f"user {username} enabled")


@users.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def role(username: str, role: str) -> None:
    """Change a user's role."""
    _set(username, "role", role)
    click.echo(f"user {username} is now {role}")


@users.command("token")
@click.argument("username")
@click.option("--name", default="", help="what the token is for")
def token(username: str, name: str) -> None:
    """Issue an API token that acts with the user's role. It is shown once."""
    from syndicate.signin import create_token
    from syndicate.users import find_user

    with _factory().begin() as session:
        user = find_user(session, username)
        if user is None:
            raise click.ClickException(f"no user {username!r}")
        row, secret = create_token(session, user, name, utcnow())
        click.echo(f"token {row.id} for {user.username}; it is shown only now:", err=True)
        click.echo(secret)


@users.command("revoke-token")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke an API token by its number."""
    from syndicate.signin import revoke_token as revoke

    with _factory().begin() as session:
        if revoke(session, token_id, utcnow()) is None:
            raise click.ClickException(f"no token {token_id}")
    click.echo(f"token {token_id} revoked")
