"""Samples and measurements: bulk inserts for the pipeline, window rebuilds, history reads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from openspc.db.models import Measurement, Sample
from openspc.db.repo.upsert import insert_ignoring_duplicates


@dataclass(frozen=True)
class StoredKey:
    id: int
    characteristic_id: int
    timestamp: datetime


def insert_samples(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[StoredKey]:
    """Insert sample rows, skipping any whose (characteristic, timestamp) is already stored;
    returns the keys of the rows that were inserted."""
    if not rows:
        return []
    stmt = insert_ignoring_duplicates(conn, Sample, ["characteristic_id", "timestamp"]).returning(
        Sample.id, Sample.characteristic_id, Sample.timestamp
    )
    result = conn.execute(stmt, list(rows))
    return [StoredKey(r.id, r.characteristic_id, r.timestamp) for r in result]


def insert_measurements(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(Measurement), list(rows))


@dataclass(frozen=True)
class WindowRow:
    characteristic_id: int
    value: float
    z: float | None
    z_dispersion: float | None


def recent_points(
    conn: Connection, characteristic_ids: Iterable[int], per_characteristic: int
) -> list[WindowRow]:
    """The last ``per_characteristic`` non-excluded samples of each characteristic, oldest
    first, in one query (a window function; SQLite >= 3.25 and PostgreSQL)."""
    ids = sorted(set(characteristic_ids))
    if not ids:
        return []
    ranked = (
        select(
            Sample.characteristic_id,
            Sample.id,
            Sample.value,
            Sample.z,
            Sample.z_dispersion,
            func.row_number()
            .over(partition_by=Sample.characteristic_id, order_by=Sample.id.desc())
            .label("rn"),
        )
        .where(Sample.characteristic_id.in_(ids), Sample.excluded.is_(False))
        .subquery()
    )
    rows = conn.execute(
        select(ranked.c.characteristic_id, ranked.c.value, ranked.c.z, ranked.c.z_dispersion)
        .where(ranked.c.rn <= per_characteristic)
        .order_by(ranked.c.characteristic_id, ranked.c.id)
    )
    return [WindowRow(*r) for r in rows]


def count_included(conn: Connection, characteristic_ids: Iterable[int]) -> dict[int, int]:
    """Non-excluded samples per characteristic."""
    ids = sorted(set(characteristic_ids))
    if not ids:
        return {}
    rows = conn.execute(
        select(Sample.characteristic_id, func.count())
        .where(Sample.characteristic_id.in_(ids), Sample.excluded.is_(False))
        .group_by(Sample.characteristic_id)
    )
    return {c: n for c, n in rows}


def subgroups(
    conn: Connection,
    characteristic_id: int,
    *,
    from_id: int | None = None,
    to_id: int | None = None,
    include_excluded: bool = False,
) -> list[tuple[int, list[float], bool]]:
    """(sample id, measurements in position order, excluded) in sample order."""
    conds = [Sample.characteristic_id == characteristic_id]
    if from_id is not None:
        conds.append(Sample.id >= from_id)
    if to_id is not None:
        conds.append(Sample.id <= to_id)
    if not include_excluded:
        conds.append(Sample.excluded.is_(False))
    rows = conn.execute(
        select(Sample.id, Sample.excluded, Measurement.value)
        .join(Measurement, Measurement.sample_id == Sample.id)
        .where(and_(*conds))
        .order_by(Sample.id, Measurement.position)
    )
    out: list[tuple[int, list[float], bool]] = []
    for sid, excluded, value in rows:
        if not out or out[-1][0] != sid:
            out.append((sid, [], bool(excluded)))
        out[-1][1].append(value)
    return out


def page(
    conn: Connection,
    characteristic_id: int,
    *,
    limit: int,
    before: datetime | None = None,
    after: datetime | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Newest first, with measurements; and the total matching the time filters."""
    conds = [Sample.characteristic_id == characteristic_id]
    if before is not None:
        conds.append(Sample.timestamp < before)
    if after is not None:
        conds.append(Sample.timestamp > after)
    total = conn.execute(select(func.count()).select_from(Sample).where(*conds)).scalar_one()
    rows = [
        dict(r._mapping)
        for r in conn.execute(
            select(Sample)
            .where(*conds)
            .order_by(Sample.timestamp.desc(), Sample.id.desc())
            .limit(limit)
        )
    ]
    attach_measurements(conn, rows)
    return rows, int(total)


def get(conn: Connection, sample_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(Sample).where(Sample.id == sample_id)).one_or_none()
    if row is None:
        return None
    out = [dict(row._mapping)]
    attach_measurements(conn, out)
    return out[0]


def attach_measurements(conn: Connection, rows: list[dict[str, Any]]) -> None:
    by_id = {r["id"]: r for r in rows}
    for r in rows:
        r["measurements"] = []
        r["mean"] = r["value"]
    if by_id:
        for sid, value in conn.execute(
            select(Measurement.sample_id, Measurement.value)
            .where(Measurement.sample_id.in_(list(by_id)))
            .order_by(Measurement.sample_id, Measurement.position)
        ):
            by_id[sid]["measurements"].append(value)


def set_exclusion(
    conn: Connection, sample_id: int, excluded: bool, reason: str, by: str, at: datetime
) -> None:
    conn.execute(
        update(Sample)
        .where(Sample.id == sample_id)
        .values(excluded=excluded, excluded_reason=reason, excluded_by=by, excluded_at=at)
    )
