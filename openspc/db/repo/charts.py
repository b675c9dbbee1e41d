"""Reads behind the chart and capability views: a characteristic's recent samples with the
limit versions and violations that belong to them, and its measurements in a time range."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from openspc.db.models import Acknowledgment, ControlLimits, Measurement, Sample, Violation


def recent_samples(conn: Connection, characteristic_id: int, limit: int) -> list[Any]:
    """The newest ``limit`` samples (by arrival, the order the rules judged them), oldest
    first."""
    newest = conn.execute(
        select(
            Sample.id,
            Sample.timestamp,
            Sample.value,
            Sample.dispersion,
            Sample.subgroup_size,
            Sample.excluded,
            Sample.limits_id,
            Sample.count,
            Sample.size,
            Sample.statistic,
            Sample.statistic_lower,
        )
        .where(Sample.characteristic_id == characteristic_id)
        .order_by(Sample.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(newest))


def judged_before(conn: Connection, first_sample_ids: Mapping[int, int]) -> dict[int, int]:
    """Per limits version: how many samples were judged against it before the given sample."""
    out = {}
    for version_id, first in first_sample_ids.items():
        out[version_id] = conn.execute(
            select(func.count())
            .select_from(Sample)
            .where(Sample.limits_id == version_id, Sample.id < first)
        ).scalar_one()
    return out


def limits_versions(conn: Connection, ids: Iterable[int]) -> dict[int, Any]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {
        r.id: r for r in conn.execute(select(ControlLimits).where(ControlLimits.id.in_(wanted)))
    }


def violations_between(
    conn: Connection, characteristic_id: int, first_sample_id: int, last_sample_id: int
) -> list[Any]:
    """Violations of the characteristic's samples in an id range, with whether each was
    acknowledged."""
    return list(
        conn.execute(
            select(
                Violation.id,
                Violation.sample_id,
                Violation.chart,
                Violation.rule_key,
                Violation.rule_id,
                Violation.rule_name,
                Violation.severity,
                Acknowledgment.id.is_not(None).label("acknowledged"),
            )
            .outerjoin(Acknowledgment, Acknowledgment.violation_id == Violation.id)
            .where(
                Violation.characteristic_id == characteristic_id,
                Violation.sample_id.between(first_sample_id, last_sample_id),
            )
            .order_by(Violation.id)
        )
    )


def measurements_between(
    conn: Connection, characteristic_id: int, start: datetime | None, end: datetime | None
) -> list[tuple[datetime, list[float]]]:
    """(timestamp, measurements) of every non-excluded sample stamped in [start, end], in
    arrival order."""
    query = (
        select(Sample.id, Sample.timestamp, Measurement.value)
        .join(Measurement, Measurement.sample_id == Sample.id)
        .where(Sample.characteristic_id == characteristic_id, Sample.excluded.is_(False))
        .order_by(Sample.id, Measurement.position)
    )
    if start is not None:
        query = query.where(Sample.timestamp >= start)
    if end is not None:
        query = query.where(Sample.timestamp <= end)
    out: list[tuple[datetime, list[float]]] = []
    last_id = None
    for sample_id, timestamp, value in conn.execute(query):
        if sample_id != last_id:
            out.append((timestamp, []))
            last_id = sample_id
        out[-1][1].append(value)
    return out
