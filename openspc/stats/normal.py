"""The standard normal distribution, without SciPy.

``math.erfc`` is accurate to a few ulp over the whole real line (no cancellation in the
tails, unlike ``1 - erf``); ``np.frompyfunc`` maps it over arrays with one call per element,
a few million a second: ample for capability studies and for deriving the constants.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

from openspc.stats._arrays import FloatArray

_erfc = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf(x: ArrayLike) -> FloatArray:
    """Φ(x), elementwise."""
    scaled = -np.asarray(x, dtype=np.float64) / math.sqrt(2.0)
    return 0.5 * np.asarray(_erfc(scaled), dtype=np.float64)


def normal_pdf(x: ArrayLike) -> FloatArray:
    """φ(x), elementwise."""
    values = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * values * values) / math.sqrt(2.0 * math.pi)


def normal_quantile(p: float) -> float:
    """Φ⁻¹(p) for one probability (the standard library's, accurate to ~1e-15)."""
    return NormalDist().inv_cdf(p)
