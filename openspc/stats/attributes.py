"""Attribute charts: p, np (nonconforming items, binomial) and c, u (nonconformities, Poisson).

A sample is a count and a size: ``p`` plots the fraction ``count / size`` (sizes may vary),
``np`` the count itself (one constant size), ``c`` the count per inspection unit (size not
used), ``u`` the count per unit ``count / size`` (sizes may vary, fractional units allowed).

Conventions (Montgomery §7; qcc):

- Center line from history: ``p̄ = Σcount / Σsize`` (np: ``n·p̄``), ``c̄`` the mean count,
  ``ū = Σcount / Σsize``; excluded samples left out.
- ``ControlLimits.sigma`` is the σ of one item or unit: ``√(p̄(1-p̄))`` for p and np, ``√c̄``
  and ``√ū`` for c and u. The σ of a plotted point is ``sigma / √size`` for p and u,
  ``sigma · √n`` for np and ``sigma`` for c, so a varying size steps the limits.
- Limits are ``CL ± 3σ_point``; LCL clipped at 0, and p's UCL at 1 and np's at n. Rules read
  z-scores ``(point - CL) / σ_point`` (unclipped), so clipping only changes the drawn lines.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from openspc.stats._arrays import FloatArray
from openspc.stats.chart_types import ATTRIBUTE_CHARTS, AttributeChartType
from openspc.stats.limits import SIGMA_MULTIPLIER, Band, ControlLimits

BINOMIAL: tuple[AttributeChartType, ...] = ("p", "np")


def _check(chart_type: str) -> None:
    if chart_type not in ATTRIBUTE_CHARTS:
        raise ValueError(f"{chart_type!r} is not an attribute chart; expected {ATTRIBUTE_CHARTS}")


def _as_counts_and_sizes(counts: ArrayLike, sizes: ArrayLike) -> tuple[FloatArray, FloatArray]:
    c = np.asarray(counts, dtype=np.float64)
    n = np.asarray(sizes, dtype=np.float64)
    if c.ndim != 1 or c.shape != n.shape:
        raise ValueError("counts and sizes must be 1-D arrays of the same length")
    if not (np.isfinite(c).all() and np.isfinite(n).all()):
        raise ValueError("counts and sizes must be finite")
    if (c < 0).any() or (c != np.floor(c)).any():
        raise ValueError("counts must be whole numbers >= 0")
    if (n <= 0).any():
        raise ValueError("sizes must be > 0")
    return c, n


def plotted_attribute(
    chart_type: AttributeChartType, counts: ArrayLike, sizes: ArrayLike
) -> FloatArray:
    """The plotted statistic of each sample: p_i, np_i, c_i or u_i."""
    _check(chart_type)
    c, n = _as_counts_and_sizes(counts, sizes)
    if chart_type in ("p", "u"):
        return c / n
    return c


def _unit_sigma(chart_type: AttributeChartType, rate: float) -> float:
    """σ of one item (binomial) or one unit (Poisson) at the process average ``rate``."""
    return float(np.sqrt(rate * (1.0 - rate))) if chart_type in BINOMIAL else float(np.sqrt(rate))


def attribute_limits(
    chart_type: AttributeChartType,
    center_line: float,
    subgroup_size: int,
    *,
    subgroup_count: int = 0,
) -> ControlLimits:
    """Limits from a process average (a standard given by hand, or estimated): ``center_line``
    is what the chart's center line shows (p̄, n·p̄, c̄ or ū); lines drawn for ``subgroup_size``."""
    _check(chart_type)
    if not (np.isfinite(center_line) and subgroup_size > 0):
        raise ValueError("center line must be finite and the size > 0")
    rate = center_line / subgroup_size if chart_type == "np" else center_line
    if chart_type in BINOMIAL and not 0.0 < rate < 1.0:
        raise ValueError(
            "the fraction nonconforming must be strictly between 0 and 1 "
            "(all conforming or all nonconforming gives no limits)"
        )
    if chart_type not in BINOMIAL and not rate > 0.0:
        raise ValueError("the average count must be > 0 (no nonconformities gives no limits)")
    sigma = _unit_sigma(chart_type, rate)
    band = attribute_band(chart_type, center_line, sigma, np.array([float(subgroup_size)]))
    return ControlLimits(
        chart_type=chart_type,
        center_line=float(center_line),
        sigma=sigma,
        subgroup_size=subgroup_size,
        ucl=float(band.ucl[0]),
        lcl=float(band.lcl[0]),
        dispersion_center=None,
        dispersion_ucl=None,
        dispersion_lcl=None,
        sigma_method=None,
        subgroup_count=subgroup_count,
    )


def estimate_attribute_limits(
    chart_type: AttributeChartType,
    counts: ArrayLike,
    sizes: ArrayLike,
    subgroup_size: int,
    *,
    excluded: ArrayLike | None = None,
) -> ControlLimits:
    """Phase-I limits from history (excluded samples left out); lines drawn for
    ``subgroup_size``, the characteristic's nominal size (np's one size)."""
    _check(chart_type)
    c, n = _as_counts_and_sizes(counts, sizes)
    keep = np.ones(c.shape, dtype=np.bool_) if excluded is None else ~np.asarray(excluded)
    c, n = c[keep], n[keep]
    if c.size == 0:
        raise ValueError("no samples left to calculate limits from")
    if chart_type == "np" and (n != subgroup_size).any():
        raise ValueError(f"an np chart has one sample size ({subgroup_size})")
    if chart_type == "c":
        center = float(c.mean())
    else:
        center = float(c.sum() / n.sum())
        if chart_type == "np":
            center *= subgroup_size
    return attribute_limits(chart_type, center, subgroup_size, subgroup_count=int(c.size))


def attribute_band(
    chart_type: AttributeChartType, center_line: float, sigma: float, sizes: ArrayLike
) -> Band:
    """Center, σ of the point and clipped limits at every point, for its sample size."""
    n = np.asarray(sizes, dtype=np.float64)
    if chart_type in ("p", "u"):
        point_sigma = sigma / np.sqrt(n)
    elif chart_type == "np":
        point_sigma = sigma * np.sqrt(n)
    else:
        point_sigma = np.full(n.shape, sigma)
    center = np.full(n.shape, center_line)
    upper = center + SIGMA_MULTIPLIER * point_sigma
    if chart_type == "p":
        upper = np.minimum(upper, 1.0)
    elif chart_type == "np":
        upper = np.minimum(upper, n)
    return Band(
        center=center,
        sigma=point_sigma,
        ucl=upper,
        lcl=np.maximum(center - SIGMA_MULTIPLIER * point_sigma, 0.0),
    )
