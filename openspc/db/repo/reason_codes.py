"""Reason codes for acknowledgments (deactivated, never deleted: acknowledgments name them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from openspc.db.models import ReasonCode


def list_codes(conn: Connection, *, include_inactive: bool) -> list[Any]:
    stmt = select(ReasonCode).order_by(ReasonCode.code)
    if not include_inactive:
        stmt = stmt.where(ReasonCode.active.is_(True))
    return list(conn.execute(stmt))


def by_id(conn: Connection, reason_code_id: int) -> Any:
    return conn.execute(select(ReasonCode).where(ReasonCode.id == reason_code_id)).one_or_none()


def is_active(conn: Connection, code: str) -> bool:
    return bool(
        conn.execute(select(ReasonCode.active).where(ReasonCode.code == code)).scalar_one_or_none()
    )


def create(conn: Connection, code: str, label: str) -> Any:
    return conn.execute(
        insert(ReasonCode)
        .values(code=code, label=label, active=True)
        .returning(*ReasonCode.__table__.c)
    ).one()


def update_code(conn: Connection, reason_code_id: int, values: dict[str, Any]) -> Any:
    return conn.execute(
        update(ReasonCode)
        .where(ReasonCode.id == reason_code_id)
        .values(**values)
        .returning(*ReasonCode.__table__.c)
    ).one()
