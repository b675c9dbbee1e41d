"""The database reads of the publisher: the state of every characteristic for an NBIRTH, and
the unacknowledged violations of some characteristics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, Engine, func, select

from openspc.db.models import Acknowledgment, Characteristic, Sample, Violation
from openspc.db.repo import limits as limits_repo
from openspc_mqtt_publisher.model import (
    Alarm,
    CharacteristicState,
    highest_severity,
    violation_text,
)


def _ms(at: datetime | None) -> int | None:
    return None if at is None else int(at.timestamp() * 1000)


def snapshot(engine: Engine) -> list[CharacteristicState]:
    """Every characteristic with its newest sample, limits in force, unacknowledged violations
    and newest violation (index lookups per characteristic, no scan of the samples)."""
    newest_sample = (
        select(Sample.id)
        .where(Sample.characteristic_id == Characteristic.id)
        .order_by(Sample.timestamp.desc())
        .limit(1)
        .correlate(Characteristic)
        .scalar_subquery()
    )
    newest_violation = (
        select(func.max(Violation.id))
        .where(Violation.characteristic_id == Characteristic.id)
        .correlate(Characteristic)
        .scalar_subquery()
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Characteristic.id,
                Characteristic.name,
                Sample.value,
                Sample.timestamp,
                Violation.rule_key,
                Violation.sample_id,
                Violation.created_at,
            )
            .select_from(Characteristic)
            .outerjoin(Sample, Sample.id == newest_sample)
            .outerjoin(Violation, Violation.id == newest_violation)
            .order_by(Characteristic.id)
        ).all()
        ids = [r.id for r in rows]
        limits = limits_repo.current(conn, ids)
        alarms = unacknowledged(conn, None)
    states = []
    for r in rows:
        state = CharacteristicState(
            id=r.id,
            name=r.name,
            last_value=r.value,
            last_value_at=_ms(r.timestamp),
            alarm=alarms.get(r.id, Alarm()),
        )
        if r.rule_key is not None:
            state.last_violation = violation_text(r.rule_key, r.sample_id)
            state.last_violation_at = _ms(r.created_at)
        current = limits.get(r.id)
        if current is not None:
            state.center_line, state.ucl, state.lcl = current.center_line, current.ucl, current.lcl
            state.limits_at = _ms(current.created_at)
        states.append(state)
    return states


def unacknowledged(
    conn: Connection, characteristic_ids: Collection[int] | None
) -> dict[int, Alarm]:
    """Unacknowledged violations per characteristic (all, or of the given ones; those without
    any are absent)."""
    query = (
        select(Violation.characteristic_id, Violation.severity, func.count().label("n"))
        .outerjoin(Acknowledgment, Acknowledgment.violation_id == Violation.id)
        .where(Acknowledgment.id.is_(None))
        .group_by(Violation.characteristic_id, Violation.severity)
    )
    if characteristic_ids is not None:
        query = query.where(Violation.characteristic_id.in_(sorted(characteristic_ids)))
    counts: dict[int, int] = defaultdict(int)
    severities: dict[int, set[str]] = defaultdict(set)
    for r in conn.execute(query):
        counts[r.characteristic_id] += r.n
        severities[r.characteristic_id].add(r.severity)
    return {cid: Alarm(n, highest_severity(severities[cid])) for cid, n in counts.items()}


def alarms_of(engine: Engine, characteristic_ids: Collection[int]) -> dict[int, Alarm]:
    """The alarm of each given characteristic (no unacknowledged violation: no alarm)."""
    with engine.connect() as conn:
        found = unacknowledged(conn, characteristic_ids)
    return {cid: found.get(cid, Alarm()) for cid in characteristic_ids}
