"""Control limits: set by hand, recalculated from history (with a preview), and their history.

Every change is a new immutable version (who, when, how, from which samples); samples and
violations keep the version they were judged against.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from openspc.api.deps import EngineerUser, KernelDep, OperatorUser
from openspc.api.errors import ERRORS, invalid, not_found
from openspc.api.schemas import Id
from openspc.api.schemas.limits import LimitsOut, ManualLimitsIn, RecalculateIn
from openspc.db.repo import audit
from openspc.db.repo import characteristics as characteristics_repo
from openspc.db.repo import limits as limits_repo
from openspc.engine import limit_versions
from openspc.engine.charts import params_for
from openspc.engine.pipeline import BatchEvents
from openspc.kernel import Kernel

router = APIRouter(
    prefix="/characteristics/{characteristic_id}/limits", tags=["limits"], responses=ERRORS
)


def _characteristic(conn: Any, characteristic_id: int) -> Any:
    found = characteristics_repo.by_ids(conn, [characteristic_id]).get(characteristic_id)
    if found is None:
        raise not_found("characteristic")
    return found


def store_manual_limits(
    conn: Connection, actor: str, row: Any, given: ManualLimitsIn, loc: tuple[str, ...]
) -> dict[str, Any]:
    """A new manual limits version for the characteristic as ``row`` configures it, audited
    (a 422 at ``loc`` when the values do not fit its chart)."""
    try:
        limits = limit_versions.manual_limits(
            row.chart_type,
            row.subgroup_size,
            params_for(row.chart_type, row.chart_params),
            given.center_line,
            sigma=given.sigma,
            ucl=given.ucl,
            lcl=given.lcl,
        )
    except ValueError as exc:
        raise invalid(loc, str(exc)) from exc
    version = limit_versions.store(
        conn, row.id, limits, method="manual", created_by=actor, comment=given.comment
    )
    audit.record(conn, actor, "set", "limits", row.id, after=version)
    return version


async def _announce(kernel: Kernel, version: dict[str, Any]) -> None:
    kernel.pipeline.invalidate(version["characteristic_id"])
    await kernel.publish(BatchEvents(limits=[version]))


@router.get("/history", operation_id="limitsHistory")
def limits_history(characteristic_id: Id, kernel: KernelDep, _: OperatorUser) -> list[LimitsOut]:
    """Every version, newest first."""
    with kernel.engine.connect() as conn:
        _characteristic(conn, characteristic_id)
        rows = limits_repo.history(conn, characteristic_id)
    return [LimitsOut.model_validate(limit_versions.limits_payload(r)) for r in rows]


@router.put("", status_code=status.HTTP_201_CREATED, operation_id="setLimits")
async def set_limits(
    characteristic_id: Id, body: ManualLimitsIn, kernel: KernelDep, principal: EngineerUser
) -> LimitsOut:
    def store() -> dict[str, Any]:
        with kernel.engine.begin() as conn:
            row = _characteristic(conn, characteristic_id)
            return store_manual_limits(conn, principal.name, row, body, ("body",))

    version = await run_in_threadpool(store)
    await _announce(kernel, version)
    return LimitsOut.model_validate(version)


@router.post("/recalculate", operation_id="recalculateLimits")
async def recalculate_limits(
    characteristic_id: Id, body: RecalculateIn, kernel: KernelDep, principal: EngineerUser
) -> LimitsOut:
    """Phase-I limits from a range of history, excluded samples left out. With ``preview``
    nothing is stored (the UI draws them first)."""

    def calculate() -> dict[str, Any]:
        with kernel.engine.begin() as conn:
            c = _characteristic(conn, characteristic_id)
            try:
                limits, history = limit_versions.calculate(
                    conn,
                    characteristic_id,
                    c.chart_type,
                    c.subgroup_size,
                    params_for(c.chart_type, c.chart_params),
                    from_id=body.from_sample_id,
                    to_id=body.to_sample_id,
                    sigma_method=body.sigma_method,
                )
            except ValueError as exc:
                raise invalid(["body"], str(exc)) from exc
            if body.preview:
                return {
                    **limit_versions.limits_values(
                        limits,
                        method="recalculated",
                        from_id=history[0].id,
                        to_id=history[-1].id,
                        count=len(history),
                        created_by=principal.name,
                        comment=body.comment,
                    ),
                    "id": None,
                    "version": None,
                    "characteristic_id": characteristic_id,
                    "created_at": None,
                }
            version = limit_versions.store(
                conn,
                characteristic_id,
                limits,
                method="recalculated",
                created_by=principal.name,
                history=history,
                comment=body.comment,
            )
            audit.record(
                conn, principal.name, "recalculate", "limits", characteristic_id, after=version
            )
            return version

    version = await run_in_threadpool(calculate)
    if not body.preview:
        await _announce(kernel, version)
    return LimitsOut.model_validate(version)
