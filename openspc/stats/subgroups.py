"""Statistics of subgroups and of individual values, vectorized over many at once.

Subgroups arrive as a 2-D array ``values[k, m]``: one row per subgroup, ragged rows padded
with NaN (a row's size is its count of non-NaN values). One new subgroup is simply a 1-row
array, so streaming and recalculation use the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from openspc.stats._arrays import BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class SubgroupStats:
    """Per-row statistics; ``range`` and ``std`` are NaN for rows with fewer than 2 values."""

    mean: FloatArray
    range: FloatArray
    std: FloatArray  # sample standard deviation (ddof = 1)
    n: IntArray

    def subset(self, rows: BoolArray) -> SubgroupStats:
        """The statistics of the rows where ``rows`` is True."""
        return SubgroupStats(self.mean[rows], self.range[rows], self.std[rows], self.n[rows])


def as_subgroup_matrix(values: ArrayLike) -> FloatArray:
    """Validate a NaN-padded ``[k, m]`` array of subgroups."""
    matrix = np.asarray(values, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError("subgroups must be a 2-D array: one row per subgroup, NaN-padded")
    if np.isinf(matrix).any():
        raise ValueError("measurements must be finite (NaN only pads ragged subgroups)")
    return matrix


def as_individuals(values: ArrayLike) -> FloatArray:
    """Validate individual values: a 1-D array, or a ``[k, 1]`` column. NaN marks no value."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError("individual values must be a 1-D array (or one column)")
    if np.isinf(array).any():
        raise ValueError("measurements must be finite")
    return array


def measurements(values: ArrayLike) -> FloatArray:
    """All measurements of any array of samples, flattened, without the NaN padding."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    if np.isinf(flat).any():
        raise ValueError("measurements must be finite")
    return flat[~np.isnan(flat)]


def subgroup_stats(values: ArrayLike) -> SubgroupStats:
    """Mean, range, standard deviation and size of every row of NaN-padded subgroups."""
    matrix = as_subgroup_matrix(values)
    present = ~np.isnan(matrix)
    n = present.sum(axis=1).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(present, matrix, 0.0).sum(axis=1) / n
        deviations = np.where(present, matrix - mean[:, None], 0.0)
        variance = (deviations * deviations).sum(axis=1) / (n - 1)
    highest = np.where(present, matrix, -np.inf).max(axis=1, initial=-np.inf)
    lowest = np.where(present, matrix, np.inf).min(axis=1, initial=np.inf)
    spread = n >= 2
    return SubgroupStats(
        mean=np.where(n >= 1, mean, np.nan),
        range=np.where(spread, highest - lowest, np.nan),
        std=np.where(spread, np.sqrt(np.where(spread, variance, 0.0)), np.nan),
        n=n,
    )


def moving_ranges(values: ArrayLike) -> FloatArray:
    """``|x[i] - x[i-1]|`` (span 2); the first point has none and gets NaN."""
    x = as_individuals(values)
    ranges = np.full(x.shape, np.nan)
    ranges[1:] = np.abs(np.diff(x))
    return ranges
