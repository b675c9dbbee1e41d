"""Time-weighted charts: EWMA and tabular CUSUM of individual values or subgroup means.

Both watch the plotted mean ``x_t`` (the individual value, or the subgroup mean) against a
target μ0 (the limits' center line) with ``σ_x = σ / √n``, σ being the process σ of the
limits and n the subgroup size.

- EWMA (Montgomery §9.2; NIST/SEMATECH e-Handbook 6.3.2.4): ``E_t = λ·x_t + (1-λ)·E_{t-1}``,
  ``E_0 = μ0``; exact limits ``μ0 ± L·σ_x·√(λ/(2-λ)·(1-(1-λ)^{2t}))``, which widen over the first
  points towards the asymptotic ``μ0 ± L·σ_x·√(λ/(2-λ))``.
- Tabular CUSUM (Montgomery §9.1): ``C⁺_t = max(0, x_t - (μ0 + K) + C⁺_{t-1})``,
  ``C⁻_t = max(0, (μ0 - K) - x_t + C⁻_{t-1})``, ``C±_0 = 0``, ``K = k·σ_x``, ``H = h·σ_x``;
  a signal when either sum exceeds H. Optionally both sums restart at 0 after a signal.

The statistics carry memory, so successive points are not independent: only the beyond-limits
signal applies. The engine's rules read z-scores scaled so that the control limits sit at ±3:
EWMA ``z = 3·(E_t - μ0) / (L·σ_E,t)``; CUSUM ``z = +3·C⁺/H`` when ``C⁺ ≥ C⁻``, else ``-3·C⁻/H``.
So Nelson rule 1 (|z| > 3) is exactly the chart's own signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict, Field

from openspc.stats._arrays import FloatArray
from openspc.stats.chart_types import (
    TIME_WEIGHTED_CHARTS,
    VARIABLE_CHARTS,
    TimeWeightedChartType,
    VariableChartType,
)
from openspc.stats.limits import SIGMA_MULTIPLIER, Band, ControlLimits, estimate_limits
from openspc.stats.sigma import SigmaMethod


class EwmaParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    lambda_: float = Field(
        0.2, alias="lambda", ge=0.01, le=1.0, description="weight λ of the newest point"
    )
    L: float = Field(3.0, ge=0.5, le=6.0, description="limit width in σ of the EWMA")


class CusumParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    k: float = Field(0.5, ge=0.0, le=5.0, description="reference value K = k·σ (slack)")
    h: float = Field(5.0, ge=0.5, le=50.0, description="decision interval H = h·σ")
    reset_after_signal: bool = Field(
        False, description="restart both sums at 0 after a point beyond H"
    )


TimeWeightedParams = EwmaParams | CusumParams


def chart_params(chart_type: TimeWeightedChartType, raw: object) -> TimeWeightedParams:
    """Validate a characteristic's stored ``chart_params`` for its chart type."""
    model: type[TimeWeightedParams] = EwmaParams if chart_type == "ewma" else CusumParams
    return model.model_validate(raw or {})


@dataclass(frozen=True)
class Carry:
    """Where the statistic stands after the last point judged against the current limits:
    ``upper`` is E (EWMA) or C⁺, ``lower`` is C⁻ (0 for EWMA), ``count`` the points so far."""

    upper: float
    lower: float
    count: int


@dataclass(frozen=True)
class TimeWeightedPoints:
    """The statistic per new point (``lower``: C⁻, CUSUM only), the band and signal the rules
    standardize (``band.z(signal)``), and the carry after the last point."""

    statistic: FloatArray
    lower: FloatArray | None
    signal: FloatArray
    band: Band
    carry: Carry


def start(chart_type: TimeWeightedChartType, limits: ControlLimits) -> Carry:
    """The carry before the first point judged against ``limits``."""
    return Carry(limits.center_line if chart_type == "ewma" else 0.0, 0.0, 0)


def _sigma_x(limits: ControlLimits) -> float:
    return limits.sigma / float(np.sqrt(limits.subgroup_size))


def ewma_sd(lam: float, sigma_x: float, t: ArrayLike) -> FloatArray:
    """σ of E_t at points t = 1, 2, ... (exact, time-varying)."""
    steps = np.asarray(t, dtype=np.float64)
    return sigma_x * np.sqrt(lam / (2.0 - lam) * (1.0 - (1.0 - lam) ** (2.0 * steps)))


def ewma(
    x: ArrayLike, limits: ControlLimits, params: EwmaParams, carry: Carry | None = None
) -> TimeWeightedPoints:
    """EWMA of new points ``x`` continuing from ``carry`` (None: the first points)."""
    values = np.asarray(x, dtype=np.float64)
    at = carry or start("ewma", limits)
    lam = params.lambda_
    statistic = np.empty(values.shape)
    e = at.upper
    for i, v in enumerate(values):
        e = lam * v + (1.0 - lam) * e
        statistic[i] = e
    band = time_weighted_band(limits, params, at.count + 1 + np.arange(values.size))
    end = Carry(e, 0.0, at.count + values.size)
    return TimeWeightedPoints(statistic, None, statistic, band, end)


def cusum(
    x: ArrayLike, limits: ControlLimits, params: CusumParams, carry: Carry | None = None
) -> TimeWeightedPoints:
    """Tabular CUSUM of new points ``x`` continuing from ``carry`` (None: the first points)."""
    values = np.asarray(x, dtype=np.float64)
    at = carry or start("cusum", limits)
    sigma_x = _sigma_x(limits)
    k, h = params.k * sigma_x, params.h * sigma_x
    upper, lower = np.empty(values.shape), np.empty(values.shape)
    cp, cm = at.upper, at.lower
    for i, v in enumerate(values):
        cp = max(0.0, v - (limits.center_line + k) + cp)
        cm = max(0.0, (limits.center_line - k) - v + cm)
        upper[i], lower[i] = cp, cm
        if params.reset_after_signal and (cp > h or cm > h):
            cp = cm = 0.0
    signal = np.where(upper >= lower, upper, -lower)
    band = time_weighted_band(limits, params, at.count + 1 + np.arange(values.size))
    return TimeWeightedPoints(upper, lower, signal, band, Carry(cp, cm, at.count + values.size))


def time_weighted_band(limits: ControlLimits, params: TimeWeightedParams, steps: ArrayLike) -> Band:
    """The band the rules standardize with at points ``steps`` (1, 2, ...: their positions
    among the points judged against ``limits``): EWMA ``μ0 ± L·σ_E,t``, CUSUM ``0 ± H``; its
    ``sigma`` is a third of the limit distance, so that the limits sit at z = ±3."""
    t = np.asarray(steps, dtype=np.float64)
    sigma_x = _sigma_x(limits)
    if isinstance(params, EwmaParams):
        center = np.full(t.shape, limits.center_line)
        width = params.L * ewma_sd(params.lambda_, sigma_x, t)
    else:
        center = np.zeros(t.shape)
        width = np.full(t.shape, params.h * sigma_x)
    return Band(center, width / SIGMA_MULTIPLIER, center + width, center - width)


def time_weighted(
    chart_type: TimeWeightedChartType,
    x: ArrayLike,
    limits: ControlLimits,
    params: TimeWeightedParams,
    carry: Carry | None = None,
) -> TimeWeightedPoints:
    if chart_type == "ewma":
        assert isinstance(params, EwmaParams)
        return ewma(x, limits, params, carry)
    assert isinstance(params, CusumParams)
    return cusum(x, limits, params, carry)


def time_weighted_limits(
    chart_type: TimeWeightedChartType,
    center_line: float,
    sigma: float,
    subgroup_size: int,
    params: TimeWeightedParams,
    *,
    sigma_method: SigmaMethod | None = None,
    subgroup_count: int = 0,
) -> ControlLimits:
    """Limits from a target μ0 and the process σ; ``ucl``/``lcl`` record the asymptotic EWMA
    limits, or ±H for CUSUM (the lines its sums are plotted against)."""
    if chart_type not in TIME_WEIGHTED_CHARTS:
        raise ValueError(f"{chart_type!r} is not a time-weighted chart")
    if not (np.isfinite(sigma) and sigma > 0.0):
        raise ValueError("sigma must be a positive number")
    if not np.isfinite(center_line):
        raise ValueError("center line must be finite")
    sigma_x = sigma / float(np.sqrt(subgroup_size))
    if isinstance(params, EwmaParams):
        width = params.L * sigma_x * float(np.sqrt(params.lambda_ / (2.0 - params.lambda_)))
        ucl, lcl = center_line + width, center_line - width
    else:
        ucl, lcl = params.h * sigma_x, -params.h * sigma_x
    return ControlLimits(
        chart_type=chart_type,
        center_line=float(center_line),
        sigma=float(sigma),
        subgroup_size=subgroup_size,
        ucl=ucl,
        lcl=lcl,
        dispersion_center=None,
        dispersion_ucl=None,
        dispersion_lcl=None,
        sigma_method=sigma_method,
        subgroup_count=subgroup_count,
    )


def shewhart_chart(chart_type: str, subgroup_size: int) -> VariableChartType:
    """The variables chart behind a chart's points and its σ estimate: the chart itself for
    X̄-R, X̄-S and I-MR; under EWMA and CUSUM the I-MR chart of individual values or the X̄-R
    chart of subgroup means."""
    if chart_type in VARIABLE_CHARTS:
        return cast(VariableChartType, chart_type)
    return "imr" if subgroup_size == 1 else "xbar_r"


def estimate_time_weighted_limits(
    chart_type: TimeWeightedChartType,
    values: ArrayLike,
    params: TimeWeightedParams,
    *,
    excluded: ArrayLike | None = None,
) -> ControlLimits:
    """Phase-I target and σ from history, as the matching Shewhart chart estimates them:
    I-MR (MR̄/d2) for individual values, X̄-R (R̄/d2) for subgroups. ``values`` as for
    :func:`openspc.stats.limits.estimate_limits` (``[k, m]``, NaN-padded)."""
    matrix = np.asarray(values, dtype=np.float64)
    chart = shewhart_chart(chart_type, 1 if matrix.ndim == 1 else matrix.shape[1])
    base = estimate_limits(chart, matrix, excluded=excluded)
    return time_weighted_limits(
        chart_type,
        base.center_line,
        base.sigma,
        base.subgroup_size,
        params,
        sigma_method=base.sigma_method,
        subgroup_count=base.subgroup_count,
    )
