"""Violations: the list and summary operators work from, and acknowledgment with a reason.

Violations are immutable facts; acknowledging one adds an acknowledgment record (who, when,
reason code, comment), audits it, and emits an ``ack_update`` event to the notifiers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from openspc.api.deps import KernelDep, OperatorUser, Principal
from openspc.api.errors import AUTH_ERRORS, field_error
from openspc.api.schemas import MAX_ID, Id, Timestamp
from openspc.api.schemas.samples import ViolationBrief
from openspc.db.repo import audit
from openspc.db.repo import reason_codes as reason_codes_repo
from openspc.db.repo import violations as violations_repo
from openspc.db.repo.violations import ViolationFilter
from openspc.engine.pipeline import BatchEvents, utc
from openspc.kernel import Kernel
from openspc.rules import Severity

log = logging.getLogger(__name__)

router = APIRouter(prefix="/violations", tags=["violations"], responses=AUTH_ERRORS)


class Acknowledgment(BaseModel):
    user: str
    reason_code: str
    comment: str | None
    created_at: datetime


class Violation(ViolationBrief):
    characteristic_name: str
    sample_timestamp: datetime
    acknowledgment: Acknowledgment | None


class ViolationPage(BaseModel):
    items: list[Violation]
    total: int


class Counts(BaseModel):
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    unacknowledged: int = 0
    total: int = 0


class SeverityCounts(Counts):
    severity: Severity


class RuleCounts(Counts):
    rule_key: str
    rule_name: str


class CharacteristicCounts(Counts):
    characteristic_id: int
    characteristic_name: str
    hierarchy_id: int
    unacknowledged_critical: int = 0


class ViolationSummary(Counts):
    by_severity: list[SeverityCounts] = Field(description="every severity, most severe first")
    by_rule: list[RuleCounts] = Field(description="most unacknowledged first")
    by_characteristic: list[CharacteristicCounts] = Field(
        description="characteristics with violations, most unacknowledged first"
    )


class AcknowledgeRequest(BaseModel):
    reason_code: str = Field(min_length=1, max_length=50, description="an active reason code")
    comment: str | None = Field(default=None, max_length=2000)


class BulkAcknowledgeRequest(AcknowledgeRequest):
    violation_ids: list[Id] = Field(min_length=1, max_length=1000)


class ViolationIds(BaseModel):
    message: str
    violation_ids: list[int]


class ViolationIdsError(BaseModel):
    detail: ViolationIds


ACK_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ViolationIdsError, "description": "No such violation (ids listed)"},
    409: {"model": ViolationIdsError, "description": "Already acknowledged (ids listed)"},
    422: {"description": "Invalid body, or an unknown or inactive `reason_code`"},
}


def violation_filter(
    characteristic_id: Id | None = None,
    hierarchy_id: Annotated[
        Id | None, Query(description="a hierarchy node: its whole subtree")
    ] = None,
    severity: Severity | None = None,
    rule_key: str | None = None,
    acknowledged: bool | None = None,
    since: Annotated[
        Timestamp | None,
        Query(alias="from", description="violating samples at or after (no offset: UTC)"),
    ] = None,
    until: Annotated[
        Timestamp | None, Query(alias="to", description="violating samples before (no offset: UTC)")
    ] = None,
) -> ViolationFilter:
    return ViolationFilter(
        characteristic_id=characteristic_id,
        hierarchy_id=hierarchy_id,
        severity=severity,
        rule_key=rule_key,
        acknowledged=acknowledged,
        since=None if since is None else utc(since),
        until=None if until is None else utc(until),
    )


ViolationFilterDep = Annotated[ViolationFilter, Depends(violation_filter)]


def _violation(row: Any) -> Violation:
    ack = (
        None
        if row.ack_user is None
        else Acknowledgment(
            user=row.ack_user,
            reason_code=row.ack_reason_code,
            comment=row.ack_comment,
            created_at=row.ack_created_at,
        )
    )
    return Violation.model_validate(
        {**row._mapping, "acknowledged": ack is not None, "acknowledgment": ack}
    )


@router.get("", operation_id="listViolations")
def list_violations(
    kernel: KernelDep,
    _: OperatorUser,
    f: ViolationFilterDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> ViolationPage:
    """Unacknowledged first, then newest first."""
    with kernel.engine.connect() as conn:
        rows, total = violations_repo.search(conn, f, limit=limit, offset=offset)
    return ViolationPage(items=[_violation(r) for r in rows], total=total)


@router.get("/summary", operation_id="getViolationSummary")
def violation_summary(
    kernel: KernelDep, _: OperatorUser, f: ViolationFilterDep
) -> ViolationSummary:
    """Counts (unacknowledged and total) by severity, by rule and by characteristic, for the
    violations the filters select; a UI colours the hierarchy from ``by_characteristic``."""
    with kernel.engine.connect() as conn:
        return _summarize(violations_repo.counts(conn, f))


def _summarize(rows: Iterable[Any]) -> ViolationSummary:
    overall = Counts()
    severities = {s: SeverityCounts(severity=s) for s in reversed(get_args(Severity))}
    rules: dict[str, RuleCounts] = {}
    characteristics: dict[int, CharacteristicCounts] = {}
    for r in rows:
        rule = rules.setdefault(r.rule_key, RuleCounts(rule_key=r.rule_key, rule_name=r.rule_name))
        characteristic = characteristics.setdefault(
            r.characteristic_id,
            CharacteristicCounts(
                characteristic_id=r.characteristic_id,
                characteristic_name=r.characteristic_name,
                hierarchy_id=r.hierarchy_id,
            ),
        )
        counted: list[Counts] = [overall, rule, characteristic]
        if r.severity in severities:
            counted.append(severities[r.severity])
        for c in counted:
            c.total += r.n
            if not r.acknowledged:
                c.unacknowledged += r.n
        if not r.acknowledged and r.severity == "CRITICAL":
            characteristic.unacknowledged_critical += r.n

    def ranked(items: Iterable[Any]) -> list[Any]:
        return sorted(items, key=lambda c: (-c.unacknowledged, -c.total))

    return ViolationSummary(
        **overall.model_dump(),
        by_severity=list(severities.values()),
        by_rule=ranked(rules.values()),
        by_characteristic=ranked(characteristics.values()),
    )


@router.post(
    "/{violation_id}/acknowledge", operation_id="acknowledgeViolation", responses=ACK_ERRORS
)
async def acknowledge_violation(
    violation_id: Id, body: AcknowledgeRequest, kernel: KernelDep, principal: OperatorUser
) -> Violation:
    """Acknowledge one violation with a reason code (once; a second time is a 409)."""
    [acknowledged] = await _acknowledge(kernel, principal, [violation_id], body)
    return acknowledged


@router.post("/acknowledge", operation_id="acknowledgeViolations", responses=ACK_ERRORS)
async def acknowledge_violations(
    body: BulkAcknowledgeRequest, kernel: KernelDep, principal: OperatorUser
) -> list[Violation]:
    """Acknowledge several violations with one reason code, all or nothing: if any is
    unknown (404) or already acknowledged (409), none is, and the error lists them."""
    return await _acknowledge(kernel, principal, list(dict.fromkeys(body.violation_ids)), body)


async def _acknowledge(
    kernel: Kernel, principal: Principal, ids: list[int], body: AcknowledgeRequest
) -> list[Violation]:
    acknowledged = await run_in_threadpool(_store_acknowledgments, kernel, principal, ids, body)
    try:
        await kernel.publish(BatchEvents(acks=[_ack_event(v) for v in acknowledged]))
    except Exception:  # the acknowledgments are committed; a notifier's failure is only logged
        log.exception("publishing acknowledgments failed")
    return acknowledged


def _ack_event(v: Violation) -> dict[str, Any]:
    """The ``ack_update`` payload of an acknowledged violation."""
    assert v.acknowledgment is not None
    return {
        "violation_id": v.id,
        "acknowledged": True,
        "characteristic_id": v.characteristic_id,
        "sample_id": v.sample_id,
        "acknowledgment": v.acknowledgment.model_dump(mode="json"),
    }


def _store_acknowledgments(
    kernel: Kernel, principal: Principal, ids: list[int], body: AcknowledgeRequest
) -> list[Violation]:
    try:
        with kernel.engine.begin() as conn:
            if not reason_codes_repo.is_active(conn, body.reason_code):
                raise field_error(
                    "reason_code", "unknown or inactive reason code", body.reason_code
                )
            missing = sorted(set(ids) - violations_repo.existing_ids(conn, ids))
            if missing:
                raise _ids_error(status.HTTP_404_NOT_FOUND, "no such violation", missing)
            already = violations_repo.acknowledged_ids(conn, ids)
            if already:
                raise _ids_error(status.HTTP_409_CONFLICT, "already acknowledged", already)
            violations_repo.acknowledge(
                conn, ids, user=principal.name, reason_code=body.reason_code, comment=body.comment
            )
            for i in ids:
                audit.record(
                    conn,
                    principal.name,
                    "acknowledge",
                    "violation",
                    i,
                    after={"reason_code": body.reason_code, "comment": body.comment},
                )
            rows, _ = violations_repo.search(conn, ViolationFilter(ids=ids), limit=len(ids))
    except IntegrityError as exc:  # acknowledged concurrently, after the check above
        with kernel.engine.connect() as conn:
            already = violations_repo.acknowledged_ids(conn, ids)
        raise _ids_error(status.HTTP_409_CONFLICT, "already acknowledged", already) from exc
    return [_violation(r) for r in rows]


def _ids_error(code: int, message: str, ids: list[int]) -> HTTPException:
    return HTTPException(code, ViolationIds(message=message, violation_ids=ids).model_dump())
