"""The audit log (admins only): who changed what, when, with the values before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from openspc.api.deps import AdminUser, KernelDep
from openspc.api.errors import AUTH_ERRORS
from openspc.api.schemas import MAX_ID
from openspc.db.repo import audit as audit_repo

router = APIRouter(prefix="/audit", tags=["audit"], responses=AUTH_ERRORS)


class AuditEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


class AuditPage(BaseModel):
    items: list[AuditEntry]
    total: int


@router.get("", operation_id="listAuditEntries")
def list_audit_entries(
    kernel: KernelDep,
    _: AdminUser,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> AuditPage:
    """Newest first."""
    with kernel.engine.connect() as conn:
        rows, total = audit_repo.search(
            conn, entity=entity, entity_id=entity_id, actor=actor, limit=limit, offset=offset
        )
    return AuditPage(items=[AuditEntry.model_validate(r) for r in rows], total=total)
