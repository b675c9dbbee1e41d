"""Process capability indices and the histogram shown with them.

Conventions (those of qcc's ``processCapability``, which follows Montgomery ch. 8):

- The process center is the mean of all measurements (equal to the X̄ chart's center line).
- The C indices use the within σ of the chart's estimator, passed in; the P indices use the
  overall σ, the sample standard deviation (ddof = 1) of all measurements.
- One-sided specifications: the index of the missing side is None and Cpk (Ppk) is the one of
  the present side; Cp, Pp and Cpm need both limits.
- Cpm (Taguchi) = Cp / √(1 + ((x̄ − T) / σ_within)²), T defaulting to the middle of the
  specification. Minitab computes Cpm from the overall Σ(x − T)² / (n − 1) instead, so its Cpm
  differs slightly from this one.
- Histogram: equal-width bins from the smallest to the largest measurement; as many as the
  Freedman–Diaconis rule gives (bin width 2·IQR·n^(-1/3)), but at least Sturges' ⌈log2(n) + 1⌉
  (small samples, or an IQR of 0) and at most ⌈2√n⌉ (so that a far outlier cannot make
  thousands of empty bins). This is NumPy 2's ``bins="auto"`` except for an IQR of 0 (where
  NumPy takes the cap), written out so that it does not change with the NumPy version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from openspc.stats._arrays import FloatArray, IntArray
from openspc.stats.subgroups import measurements


@dataclass(frozen=True)
class Capability:
    """Indices that need a missing specification limit (or target) are None."""

    n: int
    mean: float
    sigma_within: float
    sigma_overall: float
    lsl: float | None
    usl: float | None
    target: float | None
    cp: float | None
    cpl: float | None
    cpu: float | None
    cpk: float
    pp: float | None
    ppl: float | None
    ppu: float | None
    ppk: float
    cpm: float | None


@dataclass(frozen=True)
class _Indices:
    both: float | None  # Cp or Pp
    lower: float | None
    upper: float | None
    worst: float  # Cpk or Ppk


def _indices(mean: float, sigma: float, lsl: float | None, usl: float | None) -> _Indices:
    lower = None if lsl is None else (mean - lsl) / (3.0 * sigma)
    upper = None if usl is None else (usl - mean) / (3.0 * sigma)
    both = None if lsl is None or usl is None else (usl - lsl) / (6.0 * sigma)
    return _Indices(both, lower, upper, min(i for i in (lower, upper) if i is not None))


def capability(
    values: ArrayLike,
    sigma_within: float,
    *,
    lsl: float | None = None,
    usl: float | None = None,
    target: float | None = None,
) -> Capability:
    """Capability of the measurements in ``values`` (any shape; NaN padding is ignored)."""
    x = measurements(values)
    if x.size < 2:
        raise ValueError("capability needs at least 2 measurements")
    if lsl is None and usl is None:
        raise ValueError("at least one specification limit is needed")
    if lsl is not None and usl is not None and not lsl < usl:
        raise ValueError("LSL must be below USL")
    if not (math.isfinite(sigma_within) and sigma_within > 0.0):
        raise ValueError("sigma_within must be a positive number")
    sigma_overall = float(np.std(x, ddof=1))
    if sigma_overall == 0.0:
        raise ValueError("the measurements have no spread")

    mean = float(np.mean(x))
    if target is None and lsl is not None and usl is not None:
        target = (lsl + usl) / 2.0
    within = _indices(mean, sigma_within, lsl, usl)
    overall = _indices(mean, sigma_overall, lsl, usl)
    cpm = None
    if within.both is not None and target is not None:
        cpm = within.both / math.sqrt(1.0 + ((mean - target) / sigma_within) ** 2)
    return Capability(
        n=int(x.size),
        mean=mean,
        sigma_within=float(sigma_within),
        sigma_overall=sigma_overall,
        lsl=lsl,
        usl=usl,
        target=target,
        cp=within.both,
        cpl=within.lower,
        cpu=within.upper,
        cpk=within.worst,
        pp=overall.both,
        ppl=overall.lower,
        ppu=overall.upper,
        ppk=overall.worst,
        cpm=cpm,
    )


@dataclass(frozen=True)
class Histogram:
    edges: FloatArray  # bins + 1 ascending edges; the last bin includes its right edge
    counts: IntArray


def _bin_count(x: FloatArray, span: float) -> int:
    n = x.size
    sturges = math.ceil(math.log2(n) + 1.0)
    q1, q3 = np.percentile(x, [25.0, 75.0])
    if q3 == q1:
        return sturges
    freedman_diaconis = math.ceil(span / (2.0 * (q3 - q1) * n ** (-1.0 / 3.0)))
    return max(sturges, min(freedman_diaconis, math.ceil(2.0 * math.sqrt(n))))


def histogram(values: ArrayLike) -> Histogram:
    """Equal-width histogram of the measurements (bin rule in the module docstring)."""
    x = measurements(values)
    if x.size == 0:
        raise ValueError("no measurements to draw a histogram of")
    low, high = float(x.min()), float(x.max())
    if low == high:
        edges = np.array([low - 0.5, high + 0.5])
    else:
        edges = np.linspace(low, high, _bin_count(x, high - low) + 1)
    counts, _ = np.histogram(x, bins=edges)
    return Histogram(edges=edges, counts=counts.astype(np.int64))
