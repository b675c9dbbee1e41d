"""Phase-I control limits for X̄-R, X̄-S and I-MR charts, and z-scores against them.

(Attribute charts: :mod:`openspc.stats.attributes`; EWMA and CUSUM:
:mod:`openspc.stats.time_weighted`.)

Conventions (they matter only when subgroup sizes are unequal; with equal sizes every one of
them reduces to the textbook X̄̄ ± A2·R̄, D3·R̄ / D4·R̄, X̄̄ ± A3·S̄, B3·S̄ / B4·S̄):

- Center line of the X̄ chart: the grand mean of all measurements, i.e. subgroup means weighted
  by size (qcc ``stats.xbar``, Minitab, Montgomery §6.3.2).
- σ: ``r_bar`` for X̄-R and ``s_bar`` for X̄-S, the unweighted averages of R_i/d2(n_i) and
  S_i/c4(n_i) that qcc uses by default; ``mr_bar`` for I-MR. See :mod:`openspc.stats.sigma` for
  the alternatives (Minitab's weighted and pooled estimators).
- Limits per point: X̄ chart ``CL ± 3σ/√n_i``; R chart ``d2(n_i)σ ± 3·d3(n_i)σ``; S chart
  ``c4(n_i)σ ± 3σ√(1 - c4(n_i)²)``; MR chart ``d2(2)σ ± 3·d3(2)σ``; lower dispersion limits are
  floored at 0. The dispersion center is the expected statistic for that n_i (Minitab, SAS,
  JMP); qcc instead keeps one size-weighted mean of the R_i or S_i as the center, so with
  unequal sizes its R and S chart lines differ from these (its X̄ lines do not).
- Excluded samples, and subgroups without any value, are left out of the calculation; for I-MR
  their neighbours become consecutive (moving ranges bridge the gap), as in qcc.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import ArrayLike

from openspc.stats._arrays import BoolArray, FloatArray, IntArray
from openspc.stats.chart_types import VARIABLE_CHARTS, ChartType, VariableChartType
from openspc.stats.constants import c4, d2, d3
from openspc.stats.sigma import (
    INDIVIDUALS_SIGMA_METHODS,
    SUBGROUP_SIGMA_METHODS,
    SigmaMethod,
    sigma_from_individuals,
    sigma_from_subgroups,
)
from openspc.stats.subgroups import as_individuals, moving_ranges, subgroup_stats

DEFAULT_SIGMA_METHOD: Mapping[VariableChartType, SigmaMethod] = {
    "xbar_r": "r_bar",
    "xbar_s": "s_bar",
    "imr": "mr_bar",
}
SIGMA_MULTIPLIER = 3.0
MOVING_RANGE_SPAN = 2


@dataclass(frozen=True)
class ControlLimits:
    """One calculated (or given) set of limits: what a limit version stores.

    ``ucl``/``lcl`` and the ``dispersion_*`` lines are drawn for ``subgroup_size`` (the most
    common size in the calculation); :func:`point_limits` gives them for any other size.
    ``sigma_method`` is None when σ was given rather than estimated. Charts without a
    dispersion chart (attributes, EWMA, CUSUM) have no ``dispersion_*`` lines.
    """

    chart_type: ChartType
    center_line: float
    sigma: float
    subgroup_size: int
    ucl: float
    lcl: float
    dispersion_center: float | None
    dispersion_ucl: float | None
    dispersion_lcl: float | None
    sigma_method: SigmaMethod | None
    subgroup_count: int


@dataclass(frozen=True)
class Band:
    """One chart's lines per plotted point; ``sigma`` is the sd of the plotted statistic."""

    center: FloatArray
    sigma: FloatArray
    ucl: FloatArray
    lcl: FloatArray

    def z(self, values: ArrayLike) -> FloatArray:
        """Standardize plotted statistics: ``(value - center) / sigma``."""
        return (np.asarray(values, dtype=np.float64) - self.center) / self.sigma


@dataclass(frozen=True)
class PointLimits:
    location: Band  # the X̄ or I chart
    dispersion: Band  # the R, S or MR chart


@dataclass(frozen=True)
class PlottedPoints:
    """What the two charts plot: means (or individuals) and R, S or MR, with subgroup sizes."""

    location: FloatArray
    dispersion: FloatArray
    n: IntArray


def _band(center: FloatArray, sigma: FloatArray, floor_at_zero: bool) -> Band:
    lcl = center - SIGMA_MULTIPLIER * sigma
    return Band(
        center=center,
        sigma=sigma,
        ucl=center + SIGMA_MULTIPLIER * sigma,
        lcl=np.maximum(lcl, 0.0) if floor_at_zero else lcl,
    )


def _bands(
    chart_type: VariableChartType, center_line: float, sigma: float, sizes: IntArray
) -> PointLimits:
    location = _band(np.full(sizes.shape, center_line), sigma / np.sqrt(sizes), False)
    if chart_type == "xbar_r":
        dispersion_center, dispersion_sd = d2(sizes) * sigma, d3(sizes) * sigma
    elif chart_type == "xbar_s":
        c4_n = c4(sizes)
        dispersion_center, dispersion_sd = c4_n * sigma, np.sqrt(1.0 - c4_n**2) * sigma
    else:
        span = np.full(sizes.shape, MOVING_RANGE_SPAN)
        dispersion_center, dispersion_sd = d2(span) * sigma, d3(span) * sigma
    return PointLimits(location, _band(dispersion_center, dispersion_sd, True))


def _check_chart_type(chart_type: str) -> None:
    if chart_type not in VARIABLE_CHARTS:
        raise ValueError(f"{chart_type!r} is not a variables chart; expected {VARIABLE_CHARTS}")


def _sizes_for(chart_type: VariableChartType, sizes: ArrayLike) -> IntArray:
    array = np.asarray(sizes, dtype=np.int64)
    if chart_type == "imr" and np.any(array != 1):
        raise ValueError("an individuals chart has subgroups of size 1")
    if chart_type != "imr" and np.any(array < 2):
        raise ValueError("an X̄ chart needs subgroups of at least 2 values")
    return array


def limits_from_sigma(
    chart_type: VariableChartType,
    center_line: float,
    sigma: float,
    subgroup_size: int,
    *,
    sigma_method: SigmaMethod | None = None,
    subgroup_count: int = 0,
) -> ControlLimits:
    """Limits from a known center and σ (a manual/historical standard, or an estimate)."""
    _check_chart_type(chart_type)
    if not (np.isfinite(sigma) and sigma > 0.0):
        raise ValueError("sigma must be a positive number")
    if not np.isfinite(center_line):
        raise ValueError("center line must be finite")
    bands = _bands(chart_type, center_line, sigma, _sizes_for(chart_type, [subgroup_size]))
    return ControlLimits(
        chart_type=chart_type,
        center_line=float(center_line),
        sigma=float(sigma),
        subgroup_size=subgroup_size,
        ucl=float(bands.location.ucl[0]),
        lcl=float(bands.location.lcl[0]),
        dispersion_center=float(bands.dispersion.center[0]),
        dispersion_ucl=float(bands.dispersion.ucl[0]),
        dispersion_lcl=float(bands.dispersion.lcl[0]),
        sigma_method=sigma_method,
        subgroup_count=subgroup_count,
    )


def _included(excluded: ArrayLike | None, count: int) -> BoolArray:
    if excluded is None:
        return np.ones(count, dtype=np.bool_)
    mask = np.asarray(excluded)
    if mask.dtype != np.bool_ or mask.shape != (count,):
        raise ValueError(f"excluded must be a boolean array with one entry per sample ({count})")
    return ~mask


def _most_common(sizes: IntArray) -> int:
    values, counts = np.unique(sizes, return_counts=True)
    return int(values[counts == counts.max()].max())


def estimate_limits(
    chart_type: VariableChartType,
    values: ArrayLike,
    *,
    excluded: ArrayLike | None = None,
    sigma_method: SigmaMethod | None = None,
) -> ControlLimits:
    """Phase-I limits from history.

    ``values``: for X̄ charts a NaN-padded ``[k, m]`` array of subgroups; for ``imr`` the
    individual values in time order (NaN = no value). ``excluded``: one boolean per sample.
    Raises ValueError when too little data is left, or when it has no spread (σ̂ = 0).
    """
    _check_chart_type(chart_type)
    method = sigma_method or DEFAULT_SIGMA_METHOD[chart_type]
    if chart_type == "imr":
        if method not in INDIVIDUALS_SIGMA_METHODS:
            raise ValueError(f"an I-MR chart estimates sigma with {INDIVIDUALS_SIGMA_METHODS}")
        x = as_individuals(values)
        kept = x[_included(excluded, x.size) & ~np.isnan(x)]
        if kept.size == 0:
            raise ValueError("no samples left to calculate limits from")
        sigma = sigma_from_individuals(kept, method)
        return limits_from_sigma(
            chart_type, float(kept.mean()), sigma, 1, sigma_method=method, subgroup_count=kept.size
        )

    if method not in SUBGROUP_SIGMA_METHODS:
        raise ValueError(f"an X̄ chart estimates sigma with {SUBGROUP_SIGMA_METHODS}")
    all_stats = subgroup_stats(values)
    stats = all_stats.subset(_included(excluded, all_stats.n.size) & (all_stats.n > 0))
    if stats.n.size == 0:
        raise ValueError("no subgroups left to calculate limits from")
    grand_mean = float(np.sum(stats.n * stats.mean) / np.sum(stats.n))
    sigma = sigma_from_subgroups(stats, method)
    return limits_from_sigma(
        chart_type,
        grand_mean,
        sigma,
        _most_common(stats.n),
        sigma_method=method,
        subgroup_count=stats.n.size,
    )


def point_limits(limits: ControlLimits, sizes: ArrayLike) -> PointLimits:
    """Center, σ of the plotted statistic and limits at every point, for its subgroup size."""
    _check_chart_type(limits.chart_type)
    chart_type = cast(VariableChartType, limits.chart_type)
    return _bands(chart_type, limits.center_line, limits.sigma, _sizes_for(chart_type, sizes))


def plotted_points(chart_type: VariableChartType, values: ArrayLike) -> PlottedPoints:
    """The plotted statistics of a sequence of samples (same ``values`` as estimate_limits).

    For ``imr`` pass the sequence with excluded samples already removed, so that each moving
    range spans two plotted neighbours; the first point has no moving range (NaN).
    """
    _check_chart_type(chart_type)
    if chart_type == "imr":
        x = as_individuals(values)
        return PlottedPoints(x, moving_ranges(x), np.ones(x.shape, dtype=np.int64))
    stats = subgroup_stats(values)
    dispersion = stats.range if chart_type == "xbar_r" else stats.std
    return PlottedPoints(stats.mean, dispersion, stats.n)


def standardize(limits: ControlLimits, points: PlottedPoints) -> tuple[FloatArray, FloatArray]:
    """z-scores of the location and the dispersion statistics (the rule engine's input)."""
    bands = point_limits(limits, points.n)
    return bands.location.z(points.location), bands.dispersion.z(points.dispersion)
