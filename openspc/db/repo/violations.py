"""Violations (immutable facts) and their acknowledgments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, func, insert, select

from openspc.db.models import Acknowledgment, Characteristic, Hierarchy, Sample, Violation


def insert_violations(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert violations in order and return their ids (one per (sample, chart, rule))."""
    if not rows:
        return []
    stmt = insert(Violation).returning(Violation.id, sort_by_parameter_order=True)
    return [r.id for r in conn.execute(stmt, list(rows))]


@dataclass(frozen=True)
class ViolationFilter:
    """Which violations to read; ``hierarchy_id`` takes the node's whole subtree, ``since`` and
    ``until`` (exclusive) bound the violating sample's timestamp."""

    ids: Sequence[int] | None = None
    characteristic_id: int | None = None
    hierarchy_id: int | None = None
    severity: str | None = None
    rule_key: str | None = None
    acknowledged: bool | None = None
    since: datetime | None = None
    until: datetime | None = None


_ACKNOWLEDGED = Acknowledgment.id.is_not(None)


def _joined() -> FromClause:
    return (
        Violation.__table__.join(Characteristic, Characteristic.id == Violation.characteristic_id)
        .join(Sample, Sample.id == Violation.sample_id)
        .outerjoin(Acknowledgment, Acknowledgment.violation_id == Violation.id)
    )


def _subtree(hierarchy_id: int) -> Any:
    """Ids of a hierarchy node and of every node below it (a recursive CTE)."""
    tree = select(Hierarchy.id).where(Hierarchy.id == hierarchy_id).cte("subtree", recursive=True)
    return tree.union_all(select(Hierarchy.id).join(tree, Hierarchy.parent_id == tree.c.id))


def _conditions(f: ViolationFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.ids is not None:
        conds.append(Violation.id.in_(f.ids))
    if f.characteristic_id is not None:
        conds.append(Violation.characteristic_id == f.characteristic_id)
    if f.hierarchy_id is not None:
        conds.append(Characteristic.hierarchy_id.in_(select(_subtree(f.hierarchy_id).c.id)))
    if f.severity is not None:
        conds.append(Violation.severity == f.severity)
    if f.rule_key is not None:
        conds.append(Violation.rule_key == f.rule_key)
    if f.acknowledged is not None:
        conds.append(_ACKNOWLEDGED if f.acknowledged else ~_ACKNOWLEDGED)
    if f.since is not None:
        conds.append(Sample.timestamp >= f.since)
    if f.until is not None:
        conds.append(Sample.timestamp < f.until)
    return conds


def search(
    conn: Connection, f: ViolationFilter, *, limit: int, offset: int = 0
) -> tuple[list[Any], int]:
    """A page of violations, unacknowledged first and newest first, and the total matching.

    Each row has the violation's columns plus ``characteristic_name``, ``sample_timestamp``
    and the acknowledgment's ``ack_user``, ``ack_reason_code``, ``ack_comment``,
    ``ack_created_at`` (NULL while unacknowledged).
    """
    conds = _conditions(f)
    total = conn.execute(select(func.count()).select_from(_joined()).where(*conds)).scalar_one()
    rows = conn.execute(
        select(
            *Violation.__table__.c,
            Characteristic.name.label("characteristic_name"),
            Sample.timestamp.label("sample_timestamp"),
            Acknowledgment.user.label("ack_user"),
            Acknowledgment.reason_code.label("ack_reason_code"),
            Acknowledgment.comment.label("ack_comment"),
            Acknowledgment.created_at.label("ack_created_at"),
        )
        .select_from(_joined())
        .where(*conds)
        .order_by(_ACKNOWLEDGED, Violation.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total)


def counts(conn: Connection, f: ViolationFilter) -> list[Any]:
    """Violation counts per (characteristic, severity, rule, acknowledged)."""
    acknowledged = _ACKNOWLEDGED.label("acknowledged")
    keys = (
        Violation.characteristic_id,
        Characteristic.name.label("characteristic_name"),
        Characteristic.hierarchy_id,
        Violation.severity,
        Violation.rule_key,
        Violation.rule_name,
        acknowledged,
    )
    return list(
        conn.execute(
            select(*keys, func.count().label("n"))
            .select_from(_joined())
            .where(*_conditions(f))
            .group_by(*keys)
        )
    )


def existing_ids(conn: Connection, ids: Sequence[int]) -> set[int]:
    return set(conn.execute(select(Violation.id).where(Violation.id.in_(ids))).scalars())


def acknowledged_ids(conn: Connection, ids: Sequence[int]) -> list[int]:
    return sorted(
        conn.execute(
            select(Acknowledgment.violation_id).where(Acknowledgment.violation_id.in_(ids))
        ).scalars()
    )


def acknowledge(
    conn: Connection, ids: Sequence[int], *, user: str, reason_code: str, comment: str | None
) -> None:
    """Acknowledge violations (the unique ``violation_id`` refuses a second one)."""
    conn.execute(
        insert(Acknowledgment),
        [
            {"violation_id": i, "user": user, "reason_code": reason_code, "comment": comment}
            for i in ids
        ],
    )
