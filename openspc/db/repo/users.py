"""Users and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from openspc.db.models import ApiKey, User
from openspc.db.repo import audit


def by_username(conn: Connection, username: str) -> Any:
    return conn.execute(select(User).where(User.username == username)).one_or_none()


def by_id(conn: Connection, user_id: int) -> Any:
    return conn.execute(select(User).where(User.id == user_id)).one_or_none()


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(User)).scalar_one())


def list_users(conn: Connection) -> list[Any]:
    return list(conn.execute(select(User).order_by(User.username)))


def create(conn: Connection, username: str, password_hash: str, role: str) -> Any:
    return conn.execute(
        insert(User)
        .values(username=username, password_hash=password_hash, role=role, active=True)
        .returning(*User.__table__.c)
    ).one()


def create_audited(
    conn: Connection, actor: str, username: str, password_hash: str, role: str
) -> Any:
    """Create a user and record it in the audit log (without the password hash)."""
    user = create(conn, username, password_hash, role)
    audit.record(conn, actor, "create", "user", user.id, after=public_fields(user))
    return user


def public_fields(user: Any) -> dict[str, Any]:
    """What the audit log shows of a user."""
    return {"username": user.username, "role": user.role, "active": user.active}


def update_user(conn: Connection, user_id: int, values: dict[str, Any]) -> Any:
    return conn.execute(
        update(User).where(User.id == user_id).values(**values).returning(*User.__table__.c)
    ).one()


def active_admin_ids(conn: Connection) -> set[int]:
    """Ids of the active admins, locked until the transaction ends (PostgreSQL; SQLite
    serializes writers anyway), so two requests cannot remove the last two admins at once."""
    return set(
        conn.execute(
            select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update()
        ).scalars()
    )


def api_key_by_prefix(conn: Connection, prefix: str) -> Any:
    return conn.execute(select(ApiKey).where(ApiKey.prefix == prefix)).one_or_none()


def api_key_by_id(conn: Connection, key_id: int) -> Any:
    return conn.execute(select(ApiKey).where(ApiKey.id == key_id)).one_or_none()


def list_api_keys(conn: Connection) -> list[Any]:
    return list(conn.execute(select(ApiKey).order_by(ApiKey.id)))


def create_api_key(
    conn: Connection, *, name: str, prefix: str, key_hash: str, role: str, created_by: str
) -> Any:
    return conn.execute(
        insert(ApiKey)
        .values(name=name, prefix=prefix, key_hash=key_hash, role=role, created_by=created_by)
        .returning(*ApiKey.__table__.c)
    ).one()


def revoke_api_key(conn: Connection, key_id: int, at: datetime) -> Any:
    return conn.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .values(revoked_at=at)
        .returning(*ApiKey.__table__.c)
    ).one()
