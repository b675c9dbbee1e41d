"""``openspc user create``: prompted or piped password, validation, duplicates, audit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from openspc.config import get_settings
from openspc.db import models as m
from openspc.db.engine import make_engine
from openspc.db.repo import users as users_repo
from openspc.security import verify_password
from openspc.usercli import user


@pytest.fixture
def settings_for(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the CLI's settings at the test database."""
    monkeypatch.setenv("OPENSPC_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def run(*args: str, stdin: str) -> Result:
    return CliRunner().invoke(user, ["create", *args], input=stdin)


def stored(url: str, username: str) -> tuple[object, list[object]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        row = users_repo.by_username(conn, username)
        entries = list(conn.execute(select(m.AuditEntry).where(m.AuditEntry.actor == "cli")))
    engine.dispose()
    return row, entries


def test_prompted_password_is_confirmed_hashed_and_audited(settings_for: str) -> None:
    result = run("--role", "engineer", "erin", stdin="erin-secret-1\nerin-secret-1\n")
    assert result.exit_code == 0, result.output
    assert "created engineer 'erin'" in result.output and "erin-secret-1" not in result.output
    row, [entry] = stored(settings_for, "erin")
    assert row.role == "engineer" and row.active  # type: ignore[attr-defined]
    assert verify_password(row.password_hash, "erin-secret-1")  # type: ignore[attr-defined]
    assert (entry.action, entry.entity, entry.after) == (  # type: ignore[attr-defined]
        "create",
        "user",
        {"username": "erin", "role": "engineer", "active": True},
    )


def test_password_from_stdin_and_duplicates(settings_for: str) -> None:
    assert (
        run("--role", "admin", "--password-stdin", "root2", stdin="piped-secret\n").exit_code == 0
    )
    row, _ = stored(settings_for, "root2")
    assert verify_password(row.password_hash, "piped-secret")  # type: ignore[attr-defined]
    again = run("--role", "operator", "--password-stdin", "root2", stdin="other-secret\n")
    assert again.exit_code == 1 and "exists" in again.output


def test_invalid_input_is_refused(settings_for: str) -> None:
    for args, stdin, message in (
        (["--role", "operator", "--password-stdin", "otto"], "short\n", "password"),
        (["--role", "operator", "bad name"], "long-enough\nlong-enough\n", "username"),
        (["--role", "boss", "--password-stdin", "otto"], "long-enough\n", "boss"),
    ):
        result = run(*args, stdin=stdin)
        assert result.exit_code == 2 and message in result.output, result.output
    assert stored(settings_for, "otto")[0] is None
