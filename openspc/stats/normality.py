"""Anderson–Darling test of normality, mean and σ estimated from the sample.

``A² = −n − (1/n) Σ (2i − 1) [ln Φ(z_(i)) + ln(1 − Φ(z_(n+1−i)))]`` with ``z = (x − x̄) / s``
(s with ddof = 1, z sorted). Minitab's "AD" and nortest's "A" are this A². The p-value comes
from the small-sample corrected ``A²* = A² (1 + 0.75/n + 2.25/n²)`` through the piecewise
formula of D'Agostino & Stephens (1986, Table 4.9), as in Minitab and R's ``nortest::ad.test``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from openspc.stats.normal import normal_cdf
from openspc.stats.subgroups import measurements

#: nortest's minimum; the p-value approximation is not meant for smaller samples.
MIN_SAMPLE_SIZE = 8
#: Beyond this A²* the last branch of the p-value formula would turn upwards; the p-value there
#: (about 3.7e-24) is what nortest reports for every larger statistic.
_LARGEST_CORRECTED_A2 = 10.0


@dataclass(frozen=True)
class AndersonDarling:
    n: int
    a2: float
    a2_star: float
    p_value: float


def anderson_darling_p_value(a2_star: float) -> float:
    """P(A²* ≥ a2_star) for a normal sample (D'Agostino & Stephens 1986, Table 4.9)."""
    a = min(a2_star, _LARGEST_CORRECTED_A2)
    if a < 0.2:
        return 1.0 - math.exp(-13.436 + 101.14 * a - 223.73 * a * a)
    if a < 0.34:
        return 1.0 - math.exp(-8.318 + 42.796 * a - 59.938 * a * a)
    if a < 0.6:
        return math.exp(0.9177 - 4.279 * a - 1.38 * a * a)
    return math.exp(1.2937 - 5.709 * a + 0.0186 * a * a)


def anderson_darling(values: ArrayLike) -> AndersonDarling:
    """Test the measurements in ``values`` (any shape; NaN padding is ignored) for normality."""
    x = np.sort(measurements(values))
    n = x.size
    if n < MIN_SAMPLE_SIZE:
        raise ValueError(f"the Anderson-Darling test needs at least {MIN_SAMPLE_SIZE} values")
    sd = float(np.std(x, ddof=1))
    if sd == 0.0:
        raise ValueError("the measurements have no spread")
    z = (x - x.mean()) / sd
    # Φ(z) and 1 − Φ(z) = Φ(−z) both straight from erfc, so neither tail cancels; the floor
    # keeps the logarithm finite for points beyond ~37σ (A² is then huge, p at its minimum).
    tiny = np.finfo(np.float64).tiny
    log_lower = np.log(np.maximum(normal_cdf(z), tiny))
    log_upper = np.log(np.maximum(normal_cdf(-z[::-1]), tiny))
    weights = 2.0 * np.arange(1, n + 1) - 1.0
    a2 = float(-n - np.sum(weights * (log_lower + log_upper)) / n)
    a2_star = a2 * (1.0 + 0.75 / n + 2.25 / n**2)
    return AndersonDarling(n=n, a2=a2, a2_star=a2_star, p_value=anderson_darling_p_value(a2_star))
