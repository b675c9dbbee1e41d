"""Violations (immutable facts) and their acknowledgments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert

from openspc.db.models import Violation


def insert_violations(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert violations in order and return their ids (one per (sample, chart, rule))."""
    if not rows:
        return []
    stmt = insert(Violation).returning(Violation.id, sort_by_parameter_order=True)
    return [r.id for r in conn.execute(stmt, list(rows))]
