"""Samples and measurements: bulk inserts for the pipeline, window rebuilds, history reads."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from sqlalchemy import Connection, and_, func, select, update

from openspc.db.models import Measurement, Sample

#: The columns of a new sample row, in the order ``insert_samples`` takes them.
SAMPLE_COLUMNS = (
    "characteristic_id",
    "timestamp",
    "received_at",
    "source",
    "batch_number",
    "operator_id",
    "subgroup_size",
    "value",
    "dispersion",
    "limits_id",
    "z",
    "z_dispersion",
    "count",
    "size",
    "statistic",
    "statistic_lower",
)
# Bound parameters per statement: below SQLite's (32766 since 3.32) and PostgreSQL's (65535).
_MAX_PARAMETERS = 30_000


def insert_samples(conn: Connection, rows: Sequence[Sequence[Any]]) -> list[int | None]:
    """Insert sample rows (tuples in ``SAMPLE_COLUMNS`` order, timestamps timezone-aware),
    skipping any whose (characteristic, timestamp) is already stored; returns each row's new
    id, None where it was skipped.

    Bulk path of the pipeline: multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` with
    the timestamps bound once through the column type, then each returned row is matched to
    its input by (characteristic, timestamp) as bound (the order of RETURNING is not defined).
    """
    if not rows:
        return []
    bind = _timestamp_binder(conn)
    received = {t: bind(t) for t in {r[2] for r in rows}}  # one per batch
    bound = [(r[0], bind(r[1]), received[r[2]], *r[3:]) for r in rows]
    tail = (
        "ON CONFLICT (characteristic_id, timestamp) DO NOTHING "
        "RETURNING id, characteristic_id, timestamp"
    )
    stored = {
        (cid, ts): sid
        for sid, cid, ts in _insert_values(conn, "sample", SAMPLE_COLUMNS, bound, tail)
    }
    return [stored.get((r[0], r[1])) for r in bound]


def insert_measurements(conn: Connection, rows: Sequence[tuple[int, int, float]]) -> None:
    """Insert (sample id, position, value) rows (on PostgreSQL with COPY: about twice as fast
    as multi-row inserts there)."""
    if conn.dialect.name != "postgresql":
        _insert_values(conn, "measurement", ("sample_id", "position", "value"), rows, "")
        return
    cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy("COPY measurement (sample_id, position, value) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert_values(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], tail: str
) -> list[Any]:
    """Multi-row ``INSERT INTO table (columns) VALUES ... tail`` straight through the driver
    with already bound values (SQLAlchemy's per-row parameter processing would dominate a
    bulk insert), in as few statements as the parameter limit allows; returns what the
    statements returned (when ``tail`` has a RETURNING clause)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    row_marks = f"({', '.join([mark] * len(columns))})"
    per_statement = _MAX_PARAMETERS // len(columns)
    returned: list[Any] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = ", ".join([row_marks] * len(chunk))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} {tail}"
        result = conn.exec_driver_sql(sql, tuple(chain.from_iterable(chunk)))
        if result.returns_rows:
            returned.extend(result.all())
    return returned


def _timestamp_binder(conn: Connection) -> Callable[[datetime], Any]:
    """How a timezone-aware timestamp is handed to the driver: on SQLite as the text that
    SQLAlchemy's DATETIME stores (naive UTC ``YYYY-MM-DD HH:MM:SS.ffffff``, which
    ``isoformat`` writes several times faster than the type's processors; the unique
    (characteristic, timestamp) and every time filter rely on it being the same text),
    elsewhere through the column type."""
    if conn.dialect.name == "sqlite":
        return lambda ts: ts.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    process = Sample.__table__.c.timestamp.type.dialect_impl(conn.dialect).bind_processor(
        conn.dialect
    )
    assert process is not None
    return process


@dataclass(frozen=True)
class HistoryRow:
    """A stored sample as a limit calculation reads it."""

    id: int
    measurements: list[float]
    count: int | None
    size: float | None
    excluded: bool


@dataclass(frozen=True)
class WindowRow:
    characteristic_id: int
    value: float
    z: float | None
    z_dispersion: float | None
    limits_id: int | None
    statistic: float | None
    statistic_lower: float | None


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
            Sample.limits_id,
            Sample.statistic,
            Sample.statistic_lower,
            func.row_number()
            .over(partition_by=Sample.characteristic_id, order_by=Sample.id.desc())
            .label("rn"),
        )
        .where(Sample.characteristic_id.in_(ids), Sample.excluded.is_(False))
        .subquery()
    )
    rows = conn.execute(
        select(
            ranked.c.characteristic_id,
            ranked.c.value,
            ranked.c.z,
            ranked.c.z_dispersion,
            ranked.c.limits_id,
            ranked.c.statistic,
            ranked.c.statistic_lower,
        )
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


def count_judged(conn: Connection, limits_ids: Mapping[int, int | None]) -> dict[int, int]:
    """Samples judged against each characteristic's given limits version (excluded or not:
    the steps an EWMA took)."""
    wanted = {cid: lid for cid, lid in limits_ids.items() if lid is not None}
    if not wanted:
        return {}
    rows = conn.execute(
        select(Sample.characteristic_id, func.count())
        .where(Sample.limits_id.in_(list(wanted.values())))
        .group_by(Sample.characteristic_id)
    )
    counts = {cid: n for cid, n in rows}
    return {cid: counts.get(cid, 0) for cid in wanted}


def history(
    conn: Connection,
    characteristic_id: int,
    *,
    from_id: int | None = None,
    to_id: int | None = None,
    include_excluded: bool = False,
) -> list[HistoryRow]:
    """Samples in sample order, as a limit calculation reads them: measurements in position
    order (none for attribute samples), count, size, excluded."""
    conds = [Sample.characteristic_id == characteristic_id]
    if from_id is not None:
        conds.append(Sample.id >= from_id)
    if to_id is not None:
        conds.append(Sample.id <= to_id)
    if not include_excluded:
        conds.append(Sample.excluded.is_(False))
    rows = conn.execute(
        select(Sample.id, Sample.excluded, Sample.count, Sample.size, Measurement.value)
        .outerjoin(Measurement, Measurement.sample_id == Sample.id)
        .where(and_(*conds))
        .order_by(Sample.id, Measurement.position)
    )
    out: list[HistoryRow] = []
    for sid, excluded, count, size, value in rows:
        if not out or out[-1].id != sid:
            out.append(HistoryRow(sid, [], count, size, bool(excluded)))
        if value is not None:
            out[-1].measurements.append(value)
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
