"""Control-limit versions (immutable; the newest version of a characteristic is in force)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from openspc.db.models import ControlLimits


def current(conn: Connection, characteristic_ids: Iterable[int]) -> dict[int, Any]:
    """The limits row in force per characteristic (those without limits are absent)."""
    ids = sorted(set(characteristic_ids))
    if not ids:
        return {}
    newest = (
        select(ControlLimits.characteristic_id, func.max(ControlLimits.version).label("version"))
        .where(ControlLimits.characteristic_id.in_(ids))
        .group_by(ControlLimits.characteristic_id)
        .subquery()
    )
    rows = conn.execute(
        select(ControlLimits).join(
            newest,
            (ControlLimits.characteristic_id == newest.c.characteristic_id)
            & (ControlLimits.version == newest.c.version),
        )
    )
    return {r.characteristic_id: r for r in rows}


def add_version(conn: Connection, characteristic_id: int, values: dict[str, Any]) -> Any:
    """Store a new limits version (numbered after the newest) and return its row."""
    version = conn.execute(
        select(func.coalesce(func.max(ControlLimits.version), 0)).where(
            ControlLimits.characteristic_id == characteristic_id
        )
    ).scalar_one()
    return conn.execute(
        insert(ControlLimits)
        .values(characteristic_id=characteristic_id, version=version + 1, **values)
        .returning(*ControlLimits.__table__.c)
    ).one()


def history(conn: Connection, characteristic_id: int) -> list[Any]:
    return list(
        conn.execute(
            select(ControlLimits)
            .where(ControlLimits.characteristic_id == characteristic_id)
            .order_by(ControlLimits.version.desc())
        )
    )


def delete_unused(conn: Connection, characteristic_id: int) -> None:
    """Delete the versions of a characteristic that has no samples (they judged nothing;
    the database refuses once it has samples)."""
    conn.execute(delete(ControlLimits).where(ControlLimits.characteristic_id == characteristic_id))
