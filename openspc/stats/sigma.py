"""Estimators of the within-subgroup (short-term) process standard deviation σ.

With equal subgroup sizes the unweighted and the MVLUE estimators coincide with the textbook
R̄/d2 and S̄/c4. With unequal sizes they differ; the names follow qcc's ``std.dev`` options
(``sd.xbar``, ``sd.xbar.one``), whose formulas are those of the SAS/QC user's guide:

=================  ==========  =========================================================
method             qcc name    σ̂
=================  ==========  =========================================================
``r_bar``          UWAVE-R     mean of R_i / d2(n_i)  (qcc's default for X̄ and R charts)
``r_bar_mvlue``    MVLUE-R     Σ f_i R_i / d2(n_i) / Σ f_i,  f_i = (d2(n_i) / d3(n_i))²
                               (Minitab's "Rbar" with unequal sizes)
``s_bar``          UWAVE-SD    mean of S_i / c4(n_i)  (qcc's default for S charts)
``s_bar_mvlue``    MVLUE-SD    Σ h_i S_i / c4(n_i) / Σ h_i,  h_i = c4² / (1 - c4²)
                               (Minitab's "Sbar" with unequal sizes)
``pooled_sd``      RMSDF       √(Σ (n_i - 1) S_i² / Σ (n_i - 1)) / c4(Σ (n_i - 1) + 1)
                               (Minitab's default "Pooled standard deviation")
``mr_bar``         MR          mean moving range (span 2) / d2(2)
``mr_median``      MMR         median moving range (span 2) / 0.9539 (median range of two
                               normals, Minitab's 0.954); qcc's MMR likewise has no
                               finite-sample bias correction
=================  ==========  =========================================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

import numpy as np

from openspc.stats._arrays import FloatArray
from openspc.stats.constants import MEDIAN_RANGE_SPAN_2, c4, d2, d3
from openspc.stats.subgroups import SubgroupStats

SigmaMethod = Literal[
    "r_bar", "r_bar_mvlue", "s_bar", "s_bar_mvlue", "pooled_sd", "mr_bar", "mr_median"
]
SIGMA_METHODS: tuple[SigmaMethod, ...] = get_args(SigmaMethod)
INDIVIDUALS_SIGMA_METHODS: tuple[SigmaMethod, ...] = ("mr_bar", "mr_median")
SUBGROUP_SIGMA_METHODS: tuple[SigmaMethod, ...] = tuple(
    method for method in SIGMA_METHODS if method not in INDIVIDUALS_SIGMA_METHODS
)


def _weighted(estimates: FloatArray, weights: FloatArray) -> float:
    return float(np.sum(weights * estimates) / np.sum(weights))


def _r_bar(stats: SubgroupStats) -> float:
    return float(np.mean(stats.range / d2(stats.n)))


def _r_bar_mvlue(stats: SubgroupStats) -> float:
    d2_n = d2(stats.n)
    return _weighted(stats.range / d2_n, (d2_n / d3(stats.n)) ** 2)


def _s_bar(stats: SubgroupStats) -> float:
    return float(np.mean(stats.std / c4(stats.n)))


def _s_bar_mvlue(stats: SubgroupStats) -> float:
    c4_n = c4(stats.n)
    return _weighted(stats.std / c4_n, c4_n**2 / (1.0 - c4_n**2))


def _pooled_sd(stats: SubgroupStats) -> float:
    degrees = stats.n - 1
    total = int(degrees.sum())
    pooled = np.sqrt(np.sum(degrees * stats.std**2) / total)
    return float(pooled / c4(total + 1))


_SUBGROUP_ESTIMATORS: dict[SigmaMethod, Callable[[SubgroupStats], float]] = {
    "r_bar": _r_bar,
    "r_bar_mvlue": _r_bar_mvlue,
    "s_bar": _s_bar,
    "s_bar_mvlue": _s_bar_mvlue,
    "pooled_sd": _pooled_sd,
}


def sigma_from_subgroups(stats: SubgroupStats, method: SigmaMethod) -> float:
    """σ̂ from the subgroups in ``stats`` (every one must have at least 2 values)."""
    if method not in _SUBGROUP_ESTIMATORS:
        raise ValueError(f"{method!r} is not a subgroup sigma method: {SUBGROUP_SIGMA_METHODS}")
    if stats.n.size == 0:
        raise ValueError("no subgroups to estimate sigma from")
    if stats.n.min() < 2:
        raise ValueError("every subgroup needs at least 2 values to estimate sigma")
    return _SUBGROUP_ESTIMATORS[method](stats)


def sigma_from_individuals(values: FloatArray, method: SigmaMethod) -> float:
    """σ̂ from consecutive individual values (moving ranges of span 2)."""
    if method not in INDIVIDUALS_SIGMA_METHODS:
        raise ValueError(
            f"{method!r} is not an individuals sigma method: {INDIVIDUALS_SIGMA_METHODS}"
        )
    if values.size < 2:
        raise ValueError("at least 2 individual values are needed to estimate sigma")
    ranges = np.abs(np.diff(values))
    if method == "mr_median":
        return float(np.median(ranges) / MEDIAN_RANGE_SPAN_2)
    return float(np.mean(ranges) / d2(2))
