"""How each chart type turns samples into plotted points, z-scores and limits.

The one place that knows the chart families (:mod:`openspc.stats.chart_types`): the pipeline,
the limits and chart routes and the import call these functions. A sample's ``data`` row is
its measurements, or ``(count, size)`` for an attribute chart. Streaming needs two things
the statistics do not keep: the moving range of the first new individual spans back to the
last stored one, and an EWMA or CUSUM continues from where it stands (its ``Carry``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from openspc.db.repo.samples import HistoryRow
from openspc.stats._arrays import FloatArray
from openspc.stats.attributes import (
    attribute_band,
    attribute_limits,
    estimate_attribute_limits,
    plotted_attribute,
)
from openspc.stats.chart_types import (
    AttributeChartType,
    ChartType,
    TimeWeightedChartType,
    VariableChartType,
    is_attribute,
    is_time_weighted,
)
from openspc.stats.limits import (
    Band,
    ControlLimits,
    PointLimits,
    estimate_limits,
    limits_from_sigma,
    plotted_points,
    point_limits,
)
from openspc.stats.subgroups import moving_ranges
from openspc.stats.time_weighted import (
    Carry,
    CusumParams,
    TimeWeightedParams,
    chart_params,
    estimate_time_weighted_limits,
    shewhart_chart,
    time_weighted,
    time_weighted_band,
    time_weighted_limits,
)


def params_for(chart_type: str, raw: Any) -> TimeWeightedParams | None:
    """A characteristic's validated chart parameters (EWMA λ, L; CUSUM k, h); None for
    charts that take none."""
    if is_time_weighted(chart_type):
        return chart_params(cast(TimeWeightedChartType, chart_type), raw)
    return None


def limits_in_force(
    chart_type: str,
    center_line: float,
    sigma: float,
    subgroup_size: int,
    params: TimeWeightedParams | None,
) -> ControlLimits:
    """The limits of a stored version (its center and σ) for the chart as configured now."""
    if is_attribute(chart_type):
        return attribute_limits(cast(AttributeChartType, chart_type), center_line, subgroup_size)
    if is_time_weighted(chart_type):
        assert params is not None
        return time_weighted_limits(
            cast(TimeWeightedChartType, chart_type), center_line, sigma, subgroup_size, params
        )
    return limits_from_sigma(cast(VariableChartType, chart_type), center_line, sigma, subgroup_size)


def estimate(
    chart_type: str,
    history: Sequence[HistoryRow],
    subgroup_size: int,
    params: TimeWeightedParams | None,
    sigma_method: Any = None,
) -> ControlLimits:
    """Phase-I limits from the non-excluded samples of ``history`` (ValueError when too few
    or without variation)."""
    rows = [r for r in history if not r.excluded]
    if not rows:
        raise ValueError("no samples to calculate limits from")
    if is_attribute(chart_type):
        return estimate_attribute_limits(
            cast(AttributeChartType, chart_type),
            np.array([r.count for r in rows], dtype=np.float64),
            np.array([r.size for r in rows], dtype=np.float64),
            subgroup_size,
        )
    values = np.full((len(rows), max(len(r.measurements) for r in rows)), np.nan)
    for i, r in enumerate(rows):
        values[i, : len(r.measurements)] = r.measurements
    if is_time_weighted(chart_type):
        assert params is not None
        return estimate_time_weighted_limits(
            cast(TimeWeightedChartType, chart_type), values, params
        )
    data = values[:, 0] if chart_type == "imr" else values
    return estimate_limits(cast(VariableChartType, chart_type), data, sigma_method=sigma_method)


def lines(limits: ControlLimits | None, subgroup_size: int) -> PointLimits | None:
    """Both lines of a variables chart for one subgroup size (what its points use); None
    for other charts, whose lines depend on the point."""
    if limits is None or is_attribute(limits.chart_type) or is_time_weighted(limits.chart_type):
        return None
    return point_limits(limits, [subgroup_size])


@dataclass(frozen=True)
class NewPoints:
    """What the pipeline stores for the new samples of one characteristic, in order; NaN
    where a chart has no such statistic (or no limits yet)."""

    value: FloatArray
    dispersion: FloatArray
    z: FloatArray
    z_dispersion: FloatArray
    statistic: FloatArray
    statistic_lower: FloatArray
    last_value: float
    carry: Carry | None


def new_points(
    chart_type: ChartType,
    data: FloatArray,
    limits: ControlLimits | None,
    variable_lines: PointLimits | None,
    params: TimeWeightedParams | None,
    last_value: float | None,
    carry: Carry | None,
) -> NewPoints:
    """Plot and standardize ``data`` (new samples × subgroup size, or × (count, size))."""
    nan = np.full(len(data), np.nan)
    if is_attribute(chart_type):
        kind = cast(AttributeChartType, chart_type)
        value = plotted_attribute(kind, data[:, 0], data[:, 1])
        z = (
            nan
            if limits is None
            else attribute_band(kind, limits.center_line, limits.sigma, data[:, 1]).z(value)
        )
        return NewPoints(value, nan, z, nan, nan, nan, float(value[-1]), None)
    shewhart = shewhart_chart(chart_type, data.shape[1])
    points = plotted_points(shewhart, data[:, 0] if shewhart == "imr" else data)
    dispersion = points.dispersion
    if shewhart == "imr" and last_value is not None:  # the first moving range spans back
        dispersion = moving_ranges(np.concatenate(([last_value], points.location)))[1:]
    last = float(points.location[-1])
    if is_time_weighted(chart_type):
        if limits is None:
            return NewPoints(points.location, nan, nan, nan, nan, nan, last, None)
        assert params is not None
        tw = time_weighted(
            cast(TimeWeightedChartType, chart_type), points.location, limits, params, carry
        )
        lower = nan if tw.lower is None else tw.lower
        z = tw.band.z(tw.signal)
        return NewPoints(points.location, nan, z, nan, tw.statistic, lower, last, tw.carry)
    if variable_lines is None:
        return NewPoints(points.location, dispersion, nan, nan, nan, nan, last, None)
    return NewPoints(
        points.location,
        dispersion,
        variable_lines.location.z(points.location),
        variable_lines.dispersion.z(dispersion),
        nan,
        nan,
        last,
        None,
    )


def resume(
    chart_type: str,
    limits: ControlLimits,
    params: TimeWeightedParams | None,
    statistic: float | None,
    statistic_lower: float | None,
    count: int,
) -> Carry | None:
    """Where an EWMA or CUSUM stands after its last stored point (judged against ``limits``,
    ``count`` points so far); None: start afresh."""
    if not is_time_weighted(chart_type) or statistic is None or count == 0:
        return None
    lower = statistic_lower or 0.0
    if isinstance(params, CusumParams) and params.reset_after_signal:
        h = params.h * limits.sigma / float(np.sqrt(limits.subgroup_size))
        if statistic > h or lower > h:
            return Carry(0.0, 0.0, count)
    return Carry(statistic, lower, count)


@dataclass(frozen=True)
class ChartBands:
    """The primary chart's band at every point, and the dispersion chart's (variables only)."""

    primary: Band
    dispersion: Band | None


def bands_at(
    limits: ControlLimits,
    params: TimeWeightedParams | None,
    sizes: Sequence[float],
    steps: Sequence[int],
) -> ChartBands:
    """The lines at stored points judged against ``limits``: ``sizes`` are their subgroup or
    sample sizes, ``steps`` their positions (1, 2, ...) among the points judged against these
    limits (EWMA's limits widen over the first points)."""
    chart_type = limits.chart_type
    if is_attribute(chart_type):
        kind = cast(AttributeChartType, chart_type)
        return ChartBands(attribute_band(kind, limits.center_line, limits.sigma, sizes), None)
    if is_time_weighted(chart_type):
        assert params is not None
        return ChartBands(time_weighted_band(limits, params, steps), None)
    bands = point_limits(limits, [int(s) for s in sizes])
    return ChartBands(bands.location, bands.dispersion)
