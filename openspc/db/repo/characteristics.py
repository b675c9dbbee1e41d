"""Characteristics and their rule rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from openspc.db.models import Characteristic, CharacteristicRule


def by_ids(conn: Connection, ids: Iterable[int]) -> dict[int, Any]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {
        r.id: r for r in conn.execute(select(Characteristic).where(Characteristic.id.in_(wanted)))
    }


def rule_rows(conn: Connection, ids: Iterable[int]) -> dict[int, list[Any]]:
    wanted = sorted(set(ids))
    out: dict[int, list[Any]] = {i: [] for i in wanted}
    if wanted:
        for r in conn.execute(
            select(CharacteristicRule).where(CharacteristicRule.characteristic_id.in_(wanted))
        ):
            out[r.characteristic_id].append(r)
    return out
