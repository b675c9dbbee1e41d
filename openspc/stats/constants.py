"""Control chart constants for subgroup sizes 2..25 (ASTM E2587, Montgomery Appendix VI).

The constants are derived, not typed in, so they carry full double precision (as qcc's do)
instead of the three or four digits the printed tables keep:

- ``d2(n)`` and ``d3(n)``: mean and standard deviation of the range W of n independent standard
  normals, from its distribution ``P(W <= w) = n ∫ φ(x) [Φ(x + w) - Φ(x)]^(n-1) dx``:
  ``E[W] = ∫ P(W > w) dw`` and ``E[W²] = 2 ∫ w P(W > w) dw``. The inner integral uses the
  trapezoid rule on a uniform grid (spectrally accurate for a smooth integrand that vanishes at
  both ends), the outer one Gauss–Legendre; the result agrees with the closed forms for n = 2
  and 3 to about 1e-12.
- ``c4(n) = sqrt(2 / (n - 1)) · Γ(n / 2) / Γ((n - 1) / 2)``, for any n >= 2.
- the tabulated factors follow from these: ``A2 = 3 / (d2 √n)``, ``A3 = 3 / (c4 √n)``,
  ``B3, B4 = 1 ∓ 3 √(1 - c4²) / c4`` (B3 floored at 0), ``D3, D4 = 1 ∓ 3 d3 / d2`` (D3 floored
  at 0) and ``E2 = 3 / d2``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.legendre import leggauss
from numpy.typing import ArrayLike

from openspc.stats._arrays import FloatArray
from openspc.stats.normal import normal_cdf, normal_pdf, normal_quantile

MIN_SUBGROUP_SIZE = 2
MAX_SUBGROUP_SIZE = 25

#: Median of the range of two standard normals (``d4`` for a moving range of span 2):
#: the range is √2·|Z| and the median of |Z| is Φ⁻¹(0.75). Minitab prints it as 0.954.
MEDIAN_RANGE_SPAN_2 = math.sqrt(2.0) * normal_quantile(0.75)


def _range_moments(max_size: int) -> tuple[FloatArray, FloatArray]:
    """E[W] and sd(W) of the range of n standard normals, indexed by n (NaN below 2)."""
    x = np.linspace(-9.0, 9.0, 181)  # φ(±9) ≈ 1e-18: the tails add nothing
    step = x[1] - x[0]
    nodes, weights = leggauss(64)
    w_max = 16.0  # P(W > 16) < 1e-29 for every n <= 25
    w = (nodes + 1.0) * w_max / 2.0
    w_weights = weights * w_max / 2.0

    density = normal_pdf(x)
    inside = normal_cdf(x[None, :] + w[:, None]) - normal_cdf(x)[None, :]

    mean = np.full(max_size + 1, np.nan)
    sd = np.full(max_size + 1, np.nan)
    power = np.ones_like(inside)
    for n in range(MIN_SUBGROUP_SIZE, max_size + 1):
        power *= inside  # [Φ(x + w) - Φ(x)]^(n-1)
        survival = 1.0 - n * step * (power @ density)
        first = float(w_weights @ survival)
        second = float(2.0 * (w_weights @ (w * survival)))
        mean[n] = first
        sd[n] = math.sqrt(second - first * first)
    return mean, sd


_D2, _D3 = _range_moments(MAX_SUBGROUP_SIZE)


def _tabulated(table: FloatArray, n: ArrayLike) -> FloatArray:
    sizes = np.asarray(n)
    if not np.issubdtype(sizes.dtype, np.integer):
        raise TypeError("subgroup sizes must be integers")
    if sizes.size and (sizes.min() < MIN_SUBGROUP_SIZE or sizes.max() > MAX_SUBGROUP_SIZE):
        raise ValueError(
            f"subgroup size must be between {MIN_SUBGROUP_SIZE} and {MAX_SUBGROUP_SIZE}"
        )
    return table[sizes]


def d2(n: ArrayLike) -> FloatArray:
    """Expected range of n standard normals, elementwise over subgroup sizes."""
    return _tabulated(_D2, n)


def d3(n: ArrayLike) -> FloatArray:
    """Standard deviation of the range of n standard normals, elementwise."""
    return _tabulated(_D3, n)


_lgamma = np.frompyfunc(math.lgamma, 1, 1)


def c4(n: ArrayLike) -> FloatArray:
    """E[S]/σ for a normal sample of size n (any n >= 2), elementwise."""
    sizes = np.asarray(n, dtype=np.float64)
    if sizes.size and sizes.min() < MIN_SUBGROUP_SIZE:
        raise ValueError("c4 needs a sample size of at least 2")
    log_ratio = np.asarray(_lgamma(sizes / 2.0) - _lgamma((sizes - 1.0) / 2.0), dtype=np.float64)
    return np.sqrt(2.0 / (sizes - 1.0)) * np.exp(log_ratio)


@dataclass(frozen=True)
class ChartConstants:
    """The textbook factors for one subgroup size (names as in ASTM E2587)."""

    n: int
    d2: float
    d3: float
    c4: float
    A2: float
    A3: float
    B3: float
    B4: float
    D3: float
    D4: float
    E2: float


def constants(n: int) -> ChartConstants:
    """All factors for subgroup size ``n`` (2..25)."""
    d2_n = float(d2(n))
    d3_n = float(d3(n))
    c4_n = float(c4(n))
    s_spread = 3.0 * math.sqrt(1.0 - c4_n * c4_n) / c4_n
    r_spread = 3.0 * d3_n / d2_n
    return ChartConstants(
        n=n,
        d2=d2_n,
        d3=d3_n,
        c4=c4_n,
        A2=3.0 / (d2_n * math.sqrt(n)),
        A3=3.0 / (c4_n * math.sqrt(n)),
        B3=max(0.0, 1.0 - s_spread),
        B4=1.0 + s_spread,
        D3=max(0.0, 1.0 - r_spread),
        D4=1.0 + r_spread,
        E2=3.0 / d2_n,
    )
