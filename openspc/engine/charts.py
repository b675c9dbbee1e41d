"""How new subgroups become plotted points and z-scores, streaming.

The statistics live in :mod:`openspc.stats`; this adds the one thing streaming needs: the
moving range of the first new individual spans back to the last stored one.
"""

from __future__ import annotations

import numpy as np

from openspc.stats._arrays import FloatArray
from openspc.stats.limits import (
    ChartType,
    ControlLimits,
    PlottedPoints,
    PointLimits,
    plotted_points,
    point_limits,
)

CHART_TYPES: tuple[ChartType, ...] = ("xbar_r", "xbar_s", "imr")


def plot(chart_type: ChartType, values: FloatArray, previous: float | None) -> PlottedPoints:
    """Plotted statistics of ``values`` (new samples × subgroup size), in order."""
    if chart_type != "imr":
        return plotted_points(chart_type, values)
    x = values[:, 0]
    if previous is None:
        return plotted_points("imr", x)
    points = plotted_points("imr", np.concatenate(([previous], x)))
    return PlottedPoints(points.location[1:], points.dispersion[1:], points.n[1:])


def bands(limits: ControlLimits, subgroup_size: int) -> PointLimits:
    """The lines of both charts for one subgroup size (what a characteristic's points use)."""
    return point_limits(limits, [subgroup_size])


def z_scores(lines: PointLimits | None, points: PlottedPoints) -> tuple[FloatArray, FloatArray]:
    """z of both statistics; NaN everywhere while there are no limits (baseline)."""
    if lines is None:
        nan = np.full(points.location.shape, np.nan)
        return nan, nan.copy()
    return lines.location.z(points.location), lines.dispersion.z(points.dispersion)
