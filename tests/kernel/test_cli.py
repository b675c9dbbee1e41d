"""The command line: --version, --help everywhere, db upgrade, plugins."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from openspc import __version__


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openspc", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_version() -> None:
    assert run("--version").stdout.strip() == f"openspc, version {__version__}"


@pytest.mark.parametrize("command", [[], ["serve"], ["db"], ["db", "upgrade"], ["plugins"]])
def test_help_everywhere(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.returncode == 0 and "Usage:" in result.stdout


def test_db_upgrade_creates_schema(tmp_path: Path) -> None:
    import os

    db = tmp_path / "cli.db"
    env = {**os.environ, "OPENSPC_DATABASE_URL": f"sqlite:///{db}"}
    result = run("db", "upgrade", env=env)
    assert result.returncode == 0, result.stderr
    tables = {
        r[0]
        for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"hierarchy", "characteristic", "sample", "violation", "audit_log"} <= tables


def test_plugins_lists_first_party_plugins() -> None:
    described = json.loads(run("plugins", "--json").stdout)
    names = {p["name"] for p in described}
    assert {"nelson", "westgard"} <= names
    nelson = next(p for p in described if p["name"] == "nelson")
    assert nelson["registers"]["rules"] == [f"nelson.{i}" for i in range(1, 9)]
    assert nelson["distribution"].startswith("openspc-nelson ")
