"""Characteristics: list and search, what manual entry is due, create, read, change, delete.

Every change is audited and makes the engine reload the characteristic; new limits are
announced like those set through the limits API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from openspc.api.deps import EngineerUser, KernelDep, OperatorUser
from openspc.api.errors import (
    AUTH_ERRORS,
    ERRORS,
    conflict,
    conflict_on_integrity_error,
    invalid,
    not_found,
)
from openspc.api.routes.limits import store_manual_limits
from openspc.api.schemas import FieldError, Id
from openspc.api.schemas.characteristics import (
    CONFIG_FIELDS,
    Characteristic,
    CharacteristicCreate,
    CharacteristicUpdate,
    DueCharacteristic,
    Source,
    chart_family,
    config_errors,
)
from openspc.api.schemas.limits import LimitsOut, ManualLimitsIn
from openspc.api.schemas.rules import RuleSetting, effective_rules, setting_errors, stored_values
from openspc.db.repo import audit
from openspc.db.repo import characteristics as characteristics_repo
from openspc.db.repo import hierarchy as hierarchy_repo
from openspc.db.repo import limits as limits_repo
from openspc.engine import limit_versions
from openspc.engine.charts import params_for
from openspc.engine.pipeline import BatchEvents
from openspc.kernel import Kernel
from openspc.rules import Rule

router = APIRouter(prefix="/characteristics", tags=["characteristics"], responses=AUTH_ERRORS)

TAKEN = "The name (on that hierarchy node) or the tag is taken"
FIXED = "chart_type and subgroup_size cannot change once the characteristic has samples"
SUBTREE = "this hierarchy node and everything below it"
LIMITS_LOC = ("body", "limits")


def characteristics_out(
    conn: Connection, rules: Mapping[str, Rule], rows: Sequence[Any]
) -> list[Characteristic]:
    """Characteristics with their effective rules and current limits (two more queries)."""
    ids = [r.id for r in rows]
    rule_rows = characteristics_repo.rule_rows(conn, ids)
    limits = limits_repo.current(conn, ids)
    return [
        Characteristic.model_validate(
            {
                **r._mapping,
                "rules": effective_rules(rules, r.chart_type, rule_rows[r.id]),
                "current_limits": None
                if r.id not in limits
                else LimitsOut.model_validate(limit_versions.limits_payload(limits[r.id])),
            }
        )
        for r in rows
    ]


def _check(
    rules: Mapping[str, Rule], config: dict[str, Any], settings: Sequence[RuleSetting] | None
) -> None:
    """422 listing everything wrong with a whole configuration and its rule settings; then
    the chart parameters are stored in full (defaults filled in), so that a later change of a
    default never changes an existing chart."""
    errors: list[FieldError] = config_errors(config)
    if settings is not None:
        errors += setting_errors(rules, config["chart_type"], settings)
    if errors:
        raise RequestValidationError([e for loc, msg in errors for e in invalid(loc, msg).errors()])
    params = params_for(config["chart_type"], config["chart_params"])
    config["chart_params"] = {} if params is None else params.model_dump(by_alias=True)


def _check_references(conn: Connection, config: Mapping[str, Any], other_than: int | None) -> None:
    if hierarchy_repo.get(conn, config["hierarchy_id"]) is None:
        raise invalid(
            ("body", "hierarchy_id"), f"hierarchy node {config['hierarchy_id']} does not exist"
        )
    if characteristics_repo.named(
        conn, config["hierarchy_id"], config["name"], other_than=other_than
    ):
        raise conflict(f"a characteristic named {config['name']!r} exists on that node already")
    if config["tag"]:
        holder = characteristics_repo.by_tag(conn, config["tag"])
        if holder is not None and holder.id != other_than:
            raise conflict(f"tag {config['tag']!r} is bound to characteristic {holder.id} already")


def _snapshot(row: Any, rules: Sequence[Any]) -> dict[str, Any]:
    """What the audit log keeps of a characteristic."""
    return {
        **{f: getattr(row, f) for f in CONFIG_FIELDS},
        "rules": [
            {k: getattr(r, k) for k in ("chart", "rule_key", "enabled", "severity", "params")}
            for r in rules
        ],
    }


def _store_rules(
    conn: Connection, rules: Mapping[str, Rule], row: Any, settings: Sequence[RuleSetting] | None
) -> list[Any]:
    """Replace the stored rule settings when new ones are given; the stored rows."""
    if settings is not None:
        characteristics_repo.replace_rules(conn, row.id, stored_values(rules, settings))
    return characteristics_repo.rule_rows(conn, [row.id])[row.id]


def _redrawable(old: str, new: str) -> bool:
    """Whether a center and a process σ carry over from one chart type to another: between
    variables charts, and between EWMA and CUSUM (an attribute chart's center is a rate of
    its own kind and size)."""
    family = chart_family(old)
    return family == chart_family(new) and family != "attribute"


async def _announce(kernel: Kernel, characteristic_id: int, limits: dict[str, Any] | None) -> None:
    kernel.pipeline.invalidate(characteristic_id)
    if limits is not None:
        await kernel.publish(BatchEvents(limits=[limits]))


@router.get("", operation_id="listCharacteristics")
def list_characteristics(
    kernel: KernelDep,
    _: OperatorUser,
    hierarchy_id: Annotated[Id | None, Query(description=SUBTREE)] = None,
    source: Source | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="search in name, description and tag")
    ] = None,
) -> list[Characteristic]:
    """Characteristics sorted by name, with their effective rules and current limits."""
    with kernel.engine.connect() as conn:
        rows = characteristics_repo.search(conn, hierarchy_id=hierarchy_id, source=source, text=q)
        return characteristics_out(conn, kernel.registry.rules, rows)


@router.get("/due", operation_id="listDueCharacteristics")
def list_due(
    kernel: KernelDep,
    _: OperatorUser,
    hierarchy_id: Annotated[Id | None, Query(description=SUBTREE)] = None,
) -> list[DueCharacteristic]:
    """MANUAL characteristics whose last sample is older than their sampling interval (or
    that have none yet), most overdue first."""
    now = datetime.now(UTC)
    with kernel.engine.connect() as conn:
        rows = characteristics_repo.due_candidates(conn, hierarchy_id)
    due = []
    for r in rows:
        interval = timedelta(minutes=r.sampling_interval_minutes)
        if r.last_sample_at is not None and now - r.last_sample_at <= interval:
            continue
        due_at = r.created_at if r.last_sample_at is None else r.last_sample_at + interval
        due.append(
            DueCharacteristic(
                id=r.id,
                hierarchy_id=r.hierarchy_id,
                name=r.name,
                unit=r.unit,
                subgroup_size=r.subgroup_size,
                sampling_interval_minutes=r.sampling_interval_minutes,
                last_sample_at=r.last_sample_at,
                due_at=due_at,
                overdue_minutes=round(max(0.0, (now - due_at).total_seconds() / 60.0), 1),
            )
        )
    return sorted(due, key=lambda d: d.due_at)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createCharacteristic",
    responses={409: {"description": TAKEN}},
)
async def create_characteristic(
    kernel: KernelDep, user: EngineerUser, body: CharacteristicCreate
) -> Characteristic:
    """Create a characteristic; rules not listed run with their plugin defaults. Without
    ``limits`` it collects a baseline and then gets calculated limits."""
    rules = kernel.registry.rules
    config = body.model_dump(include=set(CONFIG_FIELDS))
    _check(rules, config, body.rules)

    def store() -> tuple[Characteristic, dict[str, Any] | None]:
        with conflict_on_integrity_error(TAKEN), kernel.engine.begin() as conn:
            _check_references(conn, config, other_than=None)
            row = characteristics_repo.create_characteristic(conn, config)
            stored = _store_rules(conn, rules, row, body.rules)
            audit.record(
                conn, user.name, "create", "characteristic", row.id, after=_snapshot(row, stored)
            )
            limits = (
                None
                if body.limits is None
                else store_manual_limits(conn, user.name, row, body.limits, LIMITS_LOC)
            )
            return characteristics_out(conn, rules, [row])[0], limits

    out, limits = await run_in_threadpool(store)
    await _announce(kernel, out.id, limits)
    return out


@router.get("/{characteristic_id}", operation_id="getCharacteristic", responses={404: ERRORS[404]})
def get_characteristic(kernel: KernelDep, _: OperatorUser, characteristic_id: Id) -> Characteristic:
    with kernel.engine.connect() as conn:
        row = characteristics_repo.get(conn, characteristic_id)
        if row is None:
            raise not_found("characteristic")
        return characteristics_out(conn, kernel.registry.rules, [row])[0]


@router.patch(
    "/{characteristic_id}",
    operation_id="updateCharacteristic",
    responses={404: ERRORS[404], 409: {"description": f"{TAKEN}; or {FIXED}"}},
)
async def update_characteristic(
    kernel: KernelDep, user: EngineerUser, characteristic_id: Id, body: CharacteristicUpdate
) -> Characteristic:
    """Change the fields given. ``rules`` replaces every stored rule setting; ``limits`` adds
    a manual limits version. When chart_type or subgroup_size change (only possible before
    the first sample), the limits in force are re-drawn for the new chart."""
    rules = kernel.registry.rules
    changes = body.model_dump(exclude_unset=True, include=set(CONFIG_FIELDS))
    if "chart_type" in changes and "chart_params" not in changes:
        changes["chart_params"] = {}  # the new chart's defaults

    def store() -> tuple[Characteristic, dict[str, Any] | None]:
        with conflict_on_integrity_error(TAKEN), kernel.engine.begin() as conn:
            old = characteristics_repo.get(conn, characteristic_id)
            if old is None:
                raise not_found("characteristic")
            config = {**{f: getattr(old, f) for f in CONFIG_FIELDS}, **changes}
            _check(rules, config, body.rules)
            if "chart_params" in changes:
                changes["chart_params"] = config["chart_params"]
            reshaped = any(config[f] != getattr(old, f) for f in ("chart_type", "subgroup_size"))
            if reshaped and characteristics_repo.has_samples(conn, characteristic_id):
                raise conflict(FIXED)
            _check_references(conn, config, other_than=characteristic_id)
            before = _snapshot(old, characteristics_repo.rule_rows(conn, [old.id])[old.id])
            row = (
                characteristics_repo.update_characteristic(conn, characteristic_id, changes)
                if changes
                else old
            )
            after = _snapshot(row, _store_rules(conn, rules, row, body.rules))
            if after != before:
                audit.record(
                    conn, user.name, "update", "characteristic", row.id, before=before, after=after
                )
            current = limits_repo.current(conn, [row.id]).get(row.id)
            given = body.limits
            if reshaped and current is not None:
                if not _redrawable(old.chart_type, row.chart_type):
                    limits_repo.delete_unused(conn, row.id)  # they mean nothing to the new chart
                elif given is None:
                    given = ManualLimitsIn(
                        center_line=current.center_line,
                        sigma=current.sigma,
                        comment=f"version {current.version} redrawn for {row.chart_type}, "
                        f"n={row.subgroup_size}",
                    )
            limits = (
                None
                if given is None
                else store_manual_limits(conn, user.name, row, given, LIMITS_LOC)
            )
            return characteristics_out(conn, rules, [row])[0], limits

    out, limits = await run_in_threadpool(store)
    await _announce(kernel, characteristic_id, limits)
    return out


@router.delete(
    "/{characteristic_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="deleteCharacteristic",
    responses={
        404: ERRORS[404],
        409: {"description": "The characteristic has samples (immutable records)"},
    },
)
def delete_characteristic(kernel: KernelDep, user: EngineerUser, characteristic_id: Id) -> Response:
    """Delete a characteristic that has no samples (with its rule settings and limits)."""
    with kernel.engine.begin() as conn:
        row = characteristics_repo.get(conn, characteristic_id)
        if row is None:
            raise not_found("characteristic")
        if characteristics_repo.has_samples(conn, characteristic_id):
            raise conflict(
                "the characteristic has samples, which are immutable records; it cannot be deleted"
            )
        before = _snapshot(row, characteristics_repo.rule_rows(conn, [row.id])[row.id])
        characteristics_repo.delete_characteristic(conn, characteristic_id)
        audit.record(conn, user.name, "delete", "characteristic", characteristic_id, before=before)
    kernel.pipeline.invalidate(characteristic_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
