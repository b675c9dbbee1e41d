"""Chart data (points with the limits in force and their violations) and capability."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query

from openspc.api.deps import KernelDep, OperatorUser
from openspc.api.errors import AUTH_ERRORS, ERRORS, invalid, not_found
from openspc.api.schemas import Id, Timestamp
from openspc.api.schemas.characteristics import CharacteristicSummary
from openspc.api.schemas.charts import (
    CapabilityIndices,
    CapabilityReport,
    ChartData,
    ChartPoint,
    ChartViolation,
    HistogramBins,
    Normality,
    PointLimits,
    Spec,
    Zones,
)
from openspc.api.schemas.limits import LimitsOut
from openspc.db.repo import characteristics as characteristics_repo
from openspc.db.repo import charts as charts_repo
from openspc.db.repo import limits as limits_repo
from openspc.engine import limit_versions
from openspc.engine.charts import bands_at, limits_in_force, params_for
from openspc.engine.pipeline import utc
from openspc.stats._arrays import FloatArray
from openspc.stats.capability import capability, histogram
from openspc.stats.chart_types import (
    a_chart,
    is_attribute,
    is_time_weighted,
)
from openspc.stats.limits import estimate_limits
from openspc.stats.normality import MIN_SAMPLE_SIZE, anderson_darling
from openspc.stats.time_weighted import shewhart_chart

router = APIRouter(prefix="/characteristics", tags=["charts"], responses=AUTH_ERRORS)


def _limits_at(
    characteristic: Any,
    samples: Sequence[Any],
    versions: Mapping[int, Any],
    judged_before: Mapping[int, int],
) -> list[PointLimits | None]:
    """The limits in force at every sample (its own limits version), for its subgroup or
    sample size and, on an EWMA chart, its step; computed per version over all its points."""
    chart_type = characteristic.chart_type
    params = params_for(chart_type, characteristic.chart_params)
    out: list[PointLimits | None] = [None] * len(samples)
    by_version: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        if s.limits_id is not None:
            by_version[s.limits_id].append(i)
    for version_id, indices in by_version.items():
        v = versions[version_id]
        limits = limits_in_force(chart_type, v.center_line, v.sigma, v.subgroup_size, params)
        sizes = [
            samples[i].size if is_attribute(chart_type) else samples[i].subgroup_size
            for i in indices
        ]
        steps = judged_before[version_id] + 1 + np.arange(len(indices))
        bands = bands_at(limits, params, sizes, steps.tolist())
        loc, disp = bands.primary, bands.dispersion
        for k, i in enumerate(indices):
            center, sigma = float(loc.center[k]), float(loc.sigma[k])
            out[i] = PointLimits(
                id=version_id,
                center_line=center,
                ucl=float(loc.ucl[k]),
                lcl=float(loc.lcl[k]),
                sigma_point=sigma,
                zones=None
                if is_time_weighted(chart_type)
                else Zones.model_validate({f"{z:+d}": center + z * sigma for z in (1, 2, -1, -2)}),
                dispersion_center=None if disp is None else float(disp.center[k]),
                dispersion_ucl=None if disp is None else float(disp.ucl[k]),
                dispersion_lcl=None if disp is None else float(disp.lcl[k]),
            )
    return out


@router.get(
    "/{characteristic_id}/chart",
    operation_id="getChartData",
    responses={404: ERRORS[404]},
)
def get_chart(
    kernel: KernelDep,
    _: OperatorUser,
    characteristic_id: Id,
    limit: Annotated[int, Query(ge=1, le=5000, description="the newest samples")] = 100,
) -> ChartData:
    """The newest ``limit`` samples in the order the rules judged them (oldest first), each
    with the limits in force when it arrived and its violations."""
    with kernel.engine.connect() as conn:
        row = characteristics_repo.get(conn, characteristic_id)
        if row is None:
            raise not_found("characteristic")
        samples = charts_repo.recent_samples(conn, characteristic_id, limit)
        versions = charts_repo.limits_versions(
            conn, (s.limits_id for s in samples if s.limits_id is not None)
        )
        first_judged: dict[int, int] = {}
        for s in samples:
            if s.limits_id is not None:
                first_judged.setdefault(s.limits_id, s.id)
        judged_before = charts_repo.judged_before(conn, first_judged)
        current = limits_repo.current(conn, [characteristic_id]).get(characteristic_id)
        violations = (
            charts_repo.violations_between(conn, characteristic_id, samples[0].id, samples[-1].id)
            if samples
            else []
        )
    by_sample: dict[int, list[ChartViolation]] = defaultdict(list)
    for v in violations:
        by_sample[v.sample_id].append(ChartViolation.model_validate(v, from_attributes=True))
    limits = _limits_at(row, samples, versions, judged_before)
    return ChartData(
        characteristic=CharacteristicSummary.model_validate(row),
        chart_type=row.chart_type,
        points=[
            ChartPoint(
                sample_id=s.id,
                timestamp=s.timestamp,
                value=s.value,
                dispersion=s.dispersion,
                subgroup_size=s.subgroup_size,
                count=s.count,
                size=s.size,
                statistic=s.statistic,
                statistic_lower=s.statistic_lower,
                excluded=s.excluded,
                limits=limits[i],
                violations=by_sample[s.id],
            )
            for i, s in enumerate(samples)
        ],
        spec=Spec(usl=row.usl, lsl=row.lsl, target=row.target),
        current_limits=None
        if current is None
        else LimitsOut.model_validate(limit_versions.limits_payload(current)),
    )


def _matrix(subgroups: Sequence[list[float]]) -> FloatArray:
    """Subgroups as rows, NaN-padded to the largest."""
    values = np.full((len(subgroups), max(len(g) for g in subgroups)), np.nan)
    for i, g in enumerate(subgroups):
        values[i, : len(g)] = g
    return values


def _sigma_within(
    chart_type: str, current: Any, values: FloatArray
) -> tuple[float, Literal["limits", "estimated"]]:
    """The current limits' σ; without limits, the chart's estimate from the data (EWMA and
    CUSUM estimate σ as the I-MR or X̄-R chart of the same data does)."""
    if current is not None:
        return float(current.sigma), "limits"
    shewhart = shewhart_chart(chart_type, values.shape[1])
    data = values[:, 0] if shewhart == "imr" else values
    return estimate_limits(shewhart, data).sigma, "estimated"


@router.get(
    "/{characteristic_id}/capability",
    operation_id="getCapability",
    responses={404: ERRORS[404]},
)
def get_capability(
    kernel: KernelDep,
    _: OperatorUser,
    characteristic_id: Id,
    from_: Annotated[
        Timestamp | None, Query(alias="from", description="first sample time (ISO 8601)")
    ] = None,
    to: Annotated[Timestamp | None, Query(description="last sample time (ISO 8601)")] = None,
) -> CapabilityReport:
    """Capability of the non-excluded samples stamped in the range: C indices from the
    within σ (the current limits', or estimated by the chart's estimator while there are
    none), P indices from the overall σ, a histogram and an Anderson–Darling normality test.
    Not for attribute charts: their process average is the center line of their limits."""
    start, end = (None if t is None else utc(t) for t in (from_, to))
    if start is not None and end is not None and end < start:
        raise invalid(("query", "to"), "to must not be before from")
    with kernel.engine.connect() as conn:
        row = characteristics_repo.get(conn, characteristic_id)
        if row is None:
            raise not_found("characteristic")
        samples = charts_repo.measurements_between(conn, characteristic_id, start, end)
        current = limits_repo.current(conn, [characteristic_id]).get(characteristic_id)
    if is_attribute(row.chart_type):
        raise invalid(
            ("path", "characteristic_id"),
            f"{a_chart(row.chart_type)} counts nonconformities: its capability is the process "
            "average (the center line of its limits), not Cp/Cpk",
        )
    if row.usl is None and row.lsl is None:
        raise invalid(
            ("path", "characteristic_id"),
            "the characteristic has no specification limit (usl, lsl)",
        )
    if not samples:
        raise invalid(("query",), "not enough data: no samples in the range")
    values = _matrix([measured for _at, measured in samples])
    try:
        sigma_within, source = _sigma_within(row.chart_type, current, values)
        result = capability(values, sigma_within, lsl=row.lsl, usl=row.usl, target=row.target)
        indices = CapabilityIndices.model_validate(result, from_attributes=True)
        if not all(math.isfinite(v) for v in indices.model_dump().values() if v is not None):
            raise ValueError(f"σ {sigma_within:g} is too small for the spread of the data")
    except ValueError as exc:
        raise invalid(("query",), f"no capability from these data: {exc}") from exc
    bins = histogram(values)
    normality = None
    if result.n >= MIN_SAMPLE_SIZE:
        ad = anderson_darling(values)
        normality = Normality(a2=ad.a2, a2_star=ad.a2_star, p_value=ad.p_value)
    return CapabilityReport(
        characteristic_id=characteristic_id,
        n=result.n,
        subgroups=len(samples),
        first_sample_at=samples[0][0],
        last_sample_at=samples[-1][0],
        mean=result.mean,
        sigma_within=result.sigma_within,
        sigma_overall=result.sigma_overall,
        sigma_source=source,
        lsl=row.lsl,
        usl=row.usl,
        target=result.target,
        indices=indices,
        histogram=HistogramBins(edges=bins.edges.tolist(), counts=bins.counts.tolist()),
        normality=normality,
    )
