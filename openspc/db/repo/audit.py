"""The audit log: who changed what, when, before and after (append-only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, insert, select

from openspc.db.models import AuditEntry
from openspc.logs import request_id


def record(
    conn: Connection,
    actor: str,
    action: str,
    entity: str,
    entity_id: object = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(AuditEntry).values(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            before=before,
            after=after,
            request_id=request_id.get(),
        )
    )


def search(
    conn: Connection,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[list[Any], int]:
    """A page of entries, newest first, and the total matching."""
    wanted = {"entity": entity, "entity_id": entity_id, "actor": actor}
    conds = [getattr(AuditEntry, k) == v for k, v in wanted.items() if v is not None]
    total = conn.execute(select(func.count()).select_from(AuditEntry).where(*conds)).scalar_one()
    rows = conn.execute(
        select(AuditEntry).where(*conds).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), int(total)
