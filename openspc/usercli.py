"""``openspc user create``: make an account from the shell (the first admin, a locked-out
admin's replacement, or scripted provisioning with ``--password-stdin``). The same rules as
``POST /api/v1/users`` apply, and the creation is audited (actor ``cli``)."""

from __future__ import annotations

import sys

import click
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from openspc.api.routes.users import UserCreate
from openspc.config import get_settings
from openspc.db.engine import make_engine
from openspc.db.migrate import upgrade
from openspc.db.repo import users as users_repo
from openspc.security import ROLES, hash_password


@click.group()
def user() -> None:
    """User accounts."""


@user.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
def create(username: str, role: str, password_stdin: bool) -> None:
    """Create USERNAME with a password (prompted twice, or read from standard input)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        body = UserCreate(username=username, password=password, role=role)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise click.UsageError(
            "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        ) from None
    url = get_settings().database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            users_repo.create_audited(
                conn, "cli", body.username, hash_password(body.password), body.role
            )
    except IntegrityError as exc:
        raise click.ClickException(f"user {body.username!r} exists") from exc
    finally:
        engine.dispose()
    click.echo(f"created {body.role} {body.username!r}")
