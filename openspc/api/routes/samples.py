"""Manual entry (the REST provider), sample history, and exclusion.

Submissions go through the same pipeline as tag data; the response is sent after the
sample's batch is committed and evaluated, and carries the violations it caused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status

from openspc.api.deps import EngineerUser, KernelDep, OperatorUser
from openspc.api.errors import ERRORS, conflict, invalid, not_found
from openspc.api.schemas import Id, Timestamp
from openspc.api.schemas.samples import (
    ExclusionIn,
    SampleBatchIn,
    SampleBatchResult,
    SampleIn,
    SampleOut,
    SamplePage,
    SampleResult,
)
from openspc.contracts import SampleContext, SampleEvent
from openspc.db.repo import audit
from openspc.db.repo import characteristics as characteristics_repo
from openspc.db.repo import samples as samples_repo
from openspc.engine.pipeline import IngestUnavailable, Rejection
from openspc.kernel import Kernel

router = APIRouter(tags=["samples"], responses=ERRORS)

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "Not stored: the database is unavailable; retry later"}
}
RETRY_AFTER_SECONDS = 5
SAMPLE_FIELDS = ("measurements", "count", "size")


@contextmanager
def _unavailable_as_503() -> Iterator[None]:
    """A 503 with the reason when the pipeline could not commit (nothing was stored)."""
    try:
        yield
    except IngestUnavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"not stored: {exc}",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from exc


def _event(characteristic_id: int, body: SampleIn, principal: str) -> SampleEvent:
    return SampleEvent(
        characteristic_id=characteristic_id,
        timestamp=body.timestamp or datetime.now(UTC),
        measurements=body.measurements,
        count=body.count,
        size=body.size,
        context=SampleContext(
            batch_number=body.batch_number,
            operator_id=body.operator_id or principal,
            source="MANUAL",
        ),
    )


def _raise_for(rejection: Rejection, loc: list[str | int]) -> None:
    if rejection.field == "characteristic_id":
        raise not_found("characteristic")
    raise invalid(
        [*loc, rejection.field] if rejection.field in SAMPLE_FIELDS else loc, rejection.reason
    )


@router.post(
    "/characteristics/{characteristic_id}/samples",
    status_code=status.HTTP_201_CREATED,
    operation_id="submitSample",
    responses=UNAVAILABLE,
)
async def submit_sample(
    characteristic_id: Id, body: SampleIn, kernel: KernelDep, principal: OperatorUser
) -> SampleResult:
    """Store one subgroup; returns it with the violations it caused (409 if a sample with
    the same timestamp is already stored, 503 if the database is unavailable)."""
    with _unavailable_as_503():
        [outcome] = await kernel.pipeline.submit([_event(characteristic_id, body, principal.name)])
    if outcome.error:
        _raise_for(outcome.error, ["body"])
    if outcome.duplicate:
        raise conflict("a sample with this timestamp is already stored")
    assert outcome.sample is not None
    return SampleResult.model_validate({"sample": outcome.sample, "violations": outcome.violations})


@router.post(
    "/characteristics/{characteristic_id}/samples/batch",
    status_code=status.HTTP_201_CREATED,
    operation_id="submitSampleBatch",
    responses=UNAVAILABLE,
)
async def submit_sample_batch(
    characteristic_id: Id, body: SampleBatchIn, kernel: KernelDep, principal: OperatorUser
) -> SampleBatchResult:
    """Store up to 10,000 subgroups in order, all or nothing: if one is invalid, none is
    stored and the error names it. Samples already stored (same timestamp) are skipped and
    listed in ``duplicates``."""
    events = [_event(characteristic_id, s, principal.name) for s in body.samples]
    with _unavailable_as_503():
        rejections = await kernel.pipeline.check(events)
    for i, rejection in enumerate(rejections):
        if rejection:
            _raise_for(rejection, ["body", "samples", i])
    with _unavailable_as_503():
        outcomes = await kernel.pipeline.submit(events)
    for i, o in enumerate(outcomes):
        if o.error:  # changed between check and commit (e.g. reconfigured): report it
            _raise_for(o.error, ["body", "samples", i])
    return SampleBatchResult(
        sample_ids=[o.sample["id"] if o.sample else None for o in outcomes],
        duplicates=[i for i, o in enumerate(outcomes) if o.duplicate],
        violations=[v for o in outcomes for v in o.violations],  # type: ignore[misc]
    )


@router.get("/characteristics/{characteristic_id}/samples", operation_id="listSamples")
def list_samples(
    characteristic_id: Id,
    kernel: KernelDep,
    _: OperatorUser,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    before: Timestamp | None = None,
    after: Timestamp | None = None,
) -> SamplePage:
    """Newest first; ``before``/``after`` page by timestamp."""
    with kernel.engine.connect() as conn:
        if not characteristics_repo.by_ids(conn, [characteristic_id]):
            raise not_found("characteristic")
        items, total = samples_repo.page(
            conn, characteristic_id, limit=limit, before=before, after=after
        )
    return SamplePage(items=[SampleOut.model_validate(i) for i in items], total=total)


@router.get("/samples/{sample_id}", operation_id="getSample")
def get_sample(sample_id: Id, kernel: KernelDep, _: OperatorUser) -> SampleOut:
    with kernel.engine.connect() as conn:
        sample = samples_repo.get(conn, sample_id)
    if sample is None:
        raise not_found("sample")
    return SampleOut.model_validate(sample)


@router.patch("/samples/{sample_id}", operation_id="setSampleExclusion")
def set_exclusion(
    sample_id: Id, body: ExclusionIn, kernel: KernelDep, principal: EngineerUser
) -> SampleOut:
    """Exclude a sample from the rule sequence and limit calculations (or include it again).
    The sample's values stay as they are; the change is audited."""
    updated = _exclude(kernel, sample_id, body, principal.name)
    kernel.pipeline.invalidate(updated["characteristic_id"])
    return SampleOut.model_validate(updated)


def _exclude(kernel: Kernel, sample_id: int, body: ExclusionIn, who: str) -> dict[str, Any]:
    with kernel.engine.begin() as conn:
        before = samples_repo.get(conn, sample_id)
        if before is None:
            raise not_found("sample")
        samples_repo.set_exclusion(
            conn, sample_id, body.excluded, body.reason, who, datetime.now(UTC)
        )
        audit.record(
            conn,
            who,
            "exclude" if body.excluded else "include",
            "sample",
            sample_id,
            before={"excluded": before["excluded"], "reason": before["excluded_reason"]},
            after={"excluded": body.excluded, "reason": body.reason},
        )
        after = samples_repo.get(conn, sample_id)
    assert after is not None
    return after
