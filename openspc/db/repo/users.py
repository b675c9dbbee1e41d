"""Users and API keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select

from openspc.db.models import ApiKey, User


def by_username(conn: Connection, username: str) -> Any:
    return conn.execute(select(User).where(User.username == username)).one_or_none()


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(User)).scalar_one())


def create(conn: Connection, username: str, password_hash: str, role: str) -> Any:
    return conn.execute(
        insert(User)
        .values(username=username, password_hash=password_hash, role=role, active=True)
        .returning(*User.__table__.c)
    ).one()


def api_key_by_prefix(conn: Connection, prefix: str) -> Any:
    return conn.execute(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()
