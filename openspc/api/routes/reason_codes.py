"""Reason codes operators pick when acknowledging a violation. Engineers add and edit them;
a code is deactivated, never deleted, because acknowledgments keep naming it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.exc import IntegrityError

from openspc.api.deps import EngineerUser, KernelDep, OperatorUser
from openspc.api.errors import AUTH_ERRORS, conflict, not_found
from openspc.api.schemas import Id
from openspc.db.repo import audit
from openspc.db.repo import reason_codes as reason_codes_repo

router = APIRouter(prefix="/reason-codes", tags=["reason-codes"], responses=AUTH_ERRORS)

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ReasonCode(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    label: str
    active: bool


class ReasonCodeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Z0-9_]{1,50}$", description="e.g. TOOL_WEAR; never changes")
    label: Label


class ReasonCodeUpdate(BaseModel):
    """Only the fields given (and not null) change."""

    model_config = ConfigDict(extra="forbid")

    label: Label | None = None
    active: bool | None = Field(default=None, description="false: no longer offered")


@router.get("", operation_id="listReasonCodes")
def list_reason_codes(
    kernel: KernelDep, _: OperatorUser, include_inactive: bool = False
) -> list[ReasonCode]:
    with kernel.engine.connect() as conn:
        rows = reason_codes_repo.list_codes(conn, include_inactive=include_inactive)
    return [ReasonCode.model_validate(r) for r in rows]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createReasonCode",
    responses={409: {"description": "The code exists"}},
)
def create_reason_code(
    body: ReasonCodeCreate, kernel: KernelDep, principal: EngineerUser
) -> ReasonCode:
    try:
        with kernel.engine.begin() as conn:
            row = reason_codes_repo.create(conn, body.code, body.label)
            created = ReasonCode.model_validate(row)
            audit.record(
                conn, principal.name, "create", "reason_code", row.id, after=created.model_dump()
            )
    except IntegrityError as exc:
        raise conflict(f"reason code {body.code} exists") from exc
    return created


@router.patch(
    "/{reason_code_id}",
    operation_id="updateReasonCode",
    responses={404: {"description": "No such reason code"}},
)
def update_reason_code(
    reason_code_id: Id, body: ReasonCodeUpdate, kernel: KernelDep, principal: EngineerUser
) -> ReasonCode:
    """Relabel, deactivate or reactivate a reason code."""
    with kernel.engine.begin() as conn:
        row = reason_codes_repo.by_id(conn, reason_code_id)
        if row is None:
            raise not_found("reason code")
        before = ReasonCode.model_validate(row)
        changes = body.model_dump(exclude_none=True)
        after = ReasonCode.model_validate(
            reason_codes_repo.update_code(conn, reason_code_id, changes) if changes else row
        )
        if after != before:
            audit.record(
                conn,
                principal.name,
                "update",
                "reason_code",
                reason_code_id,
                before=before.model_dump(),
                after=after.model_dump(),
            )
    return after
