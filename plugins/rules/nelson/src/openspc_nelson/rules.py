"""The eight Nelson rules, exactly as ``shared/spec/nelson-rules.md`` defines them.

Every rule is a handful of whole-array NumPy operations over ``z[k, w]``: a pattern "ends at
column i" when a rolling sum over the right number of columns reaches its target, and
``window_complete`` keeps only the columns whose whole window lies inside the row's valid
points, so padding can never contribute to a firing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from openspc.rules import (
    CHART_FAMILIES,
    ChartFamily,
    CountArray,
    FireArray,
    Rule,
    Severity,
    ZArray,
    valid_mask,
    window_complete,
)

ALL_FAMILIES: frozenset[ChartFamily] = frozenset(CHART_FAMILIES)
RUN_FAMILIES: frozenset[ChartFamily] = frozenset({"location", "dispersion", "attribute"})
ZONE_FAMILIES: frozenset[ChartFamily] = frozenset({"location", "attribute"})
LOCATION: frozenset[ChartFamily] = frozenset({"location"})


# --- parameters ----------------------------------------------------------------------------


class KParams(BaseModel):
    """Every Nelson rule has one parameter, K (a sigma threshold for rule 1, else a count)."""

    k: float


class BeyondLimitsParams(KParams):
    k: float = Field(3.0, gt=0, description="Fires when |z| > K (in sigma).")


class ShiftParams(KParams):
    k: int = Field(9, ge=1, description="Points in a row on one side of the center line.")


class TrendParams(KParams):
    k: int = Field(6, ge=2, description="Points in a row strictly increasing or decreasing.")


class AlternatingParams(KParams):
    k: int = Field(14, ge=3, description="Points in a row alternating up and down.")


class TwoOfThreeParams(KParams):
    k: int = Field(2, ge=1, description="At least K of the last K+1 points beyond 2 sigma.")


class FourOfFiveParams(KParams):
    k: int = Field(4, ge=1, description="At least K of the last K+1 points beyond 1 sigma.")


class StratificationParams(KParams):
    k: int = Field(15, ge=1, description="Points in a row within 1 sigma (inclusive).")


class MixtureParams(KParams):
    k: int = Field(8, ge=2, description="Points in a row beyond 1 sigma, both sides present.")


# --- window helpers ------------------------------------------------------------------------
#
# Rolling sums run on int32 cumulative sums written into a zero-led buffer (no int64 copies):
# memory traffic, not arithmetic, is what a 10-million-point batch costs.

Signs = NDArray[np.int8]


def _window_sums(x: NDArray[np.int8] | NDArray[np.bool_], span: int) -> NDArray[np.int32]:
    """Row-wise sum of the ``span`` columns ending at each column (fewer near the start;
    ``window_complete`` masks those)."""
    rows, width = x.shape
    c = np.zeros((rows, width + span), dtype=np.int32)
    np.cumsum(x, axis=1, dtype=np.int32, out=c[:, span:])
    return c[:, span:] - c[:, :width]


def _signs(positive: NDArray[np.bool_], negative: NDArray[np.bool_]) -> Signs:
    """+1 where ``positive``, -1 where ``negative``, 0 elsewhere."""
    return positive.view(np.int8) - negative.view(np.int8)


def _same_sign_run(signs: Signs, span: int) -> FireArray:
    """The ``span`` signs ending at each column are all +1, or all -1."""
    return np.abs(_window_sums(signs, span)) == span


def _step_signs(z: ZArray) -> Signs:
    """Sign of each point's step from the one before (0 for a tie, and in column 0).

    Comparing neighbours gives the sign of their difference for finite values without
    computing it.
    """
    signs = np.zeros(z.shape, dtype=np.int8)
    signs[:, 1:] = _signs(z[:, 1:] > z[:, :-1], z[:, 1:] < z[:, :-1])
    return signs


def _k_of_k_plus_1(z: ZArray, n: CountArray, k: int, limit: float) -> FireArray:
    """At least ``k`` of the ``k + 1`` points ending at i beyond ``limit`` on one side,
    point i itself among them (rules 5 and 6)."""
    up = z > limit
    down = z < -limit
    fires = (up & (_window_sums(up, k + 1) >= k)) | (down & (_window_sums(down, k + 1) >= k))
    return fires & window_complete(n, z.shape[1], k + 1)


# --- the rules -----------------------------------------------------------------------------


def beyond_limits(z: ZArray, n: CountArray, k: float) -> FireArray:
    """Rule 1: |z| > K (a point on the line is inside)."""
    return ((z > k) | (z < -k)) & valid_mask(n, z.shape[1])


def shift(z: ZArray, n: CountArray, k: int) -> FireArray:
    """Rule 2: K in a row above, or below, the center line (z == 0 breaks the run)."""
    return _same_sign_run(_signs(z > 0, z < 0), k) & window_complete(n, z.shape[1], k)


def trend(z: ZArray, n: CountArray, k: int) -> FireArray:
    """Rule 3: K points strictly increasing or strictly decreasing (a tie breaks it)."""
    return _same_sign_run(_step_signs(z), k - 1) & window_complete(n, z.shape[1], k)


def alternating(z: ZArray, n: CountArray, k: int) -> FireArray:
    """Rule 4: K points whose K-1 steps alternate up and down.

    A "flip" at column j means the step into j is opposite to the (non-zero) step into j-1;
    K points alternate when the K-2 flips ending at i all hold.
    """
    steps = _step_signs(z)
    flips = np.zeros(z.shape, dtype=np.bool_)
    flips[:, 1:] = steps[:, 1:] * steps[:, :-1] < 0
    return (_window_sums(flips, k - 2) == k - 2) & window_complete(n, z.shape[1], k)


def two_of_three(z: ZArray, n: CountArray, k: int) -> FireArray:
    """Rule 5: K of K+1 beyond 2 sigma on one side, the last point among them."""
    return _k_of_k_plus_1(z, n, k, 2.0)


def four_of_five(z: ZArray, n: CountArray, k: int) -> FireArray:
    """Rule 6: K of K+1 beyond 1 sigma on one side, the last point among them."""
    return _k_of_k_plus_1(z, n, k, 1.0)


def stratification(z: ZArray, n: CountArray, k: int) -> FireArray:
    """Rule 7: K in a row with |z| <= 1."""
    inside = (z <= 1) & (z >= -1)
    return (_window_sums(inside, k) == k) & window_complete(n, z.shape[1], k)


def mixture(z: ZArray, n: CountArray, k: int) -> FireArray:
    """Rule 8: K in a row with |z| > 1, at least one on each side."""
    sides = _signs(z > 1, z < -1)
    all_beyond = _window_sums(sides != 0, k) == k
    both_sides = np.abs(_window_sums(sides, k)) < k
    return all_beyond & both_sides & window_complete(n, z.shape[1], k)


# --- declarations --------------------------------------------------------------------------


def _nelson(
    rule_id: int,
    name: str,
    kernel: Callable[[ZArray, CountArray, Any], FireArray],
    params_model: type[KParams],
    span: Callable[[Any], int],
    *,
    applies_to: frozenset[ChartFamily],
    enabled_on: frozenset[ChartFamily],
    severity: Severity = "WARNING",
    sided: bool = False,
) -> Rule:
    """Declare Nelson rule ``rule_id``; ``span(K)`` is its lookback."""

    def evaluate(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
        return kernel(z, n, params_model.model_validate(params).k)

    def lookback(params: BaseModel) -> int:
        return span(params_model.model_validate(params).k)

    return Rule(
        key=f"nelson.{rule_id}",
        name=name,
        description=(kernel.__doc__ or "").partition("\n")[0].partition(": ")[2],
        evaluate=evaluate,
        lookback=lookback,
        params_model=params_model,
        default_severity=severity,
        applies_to=applies_to,
        enabled_by_default_on=enabled_on,
        sided=sided,
        rule_id=rule_id,
        tags=("nelson",),
    )


def _one_point(_: float) -> int:
    return 1


def _k_points(k: int) -> int:
    return k


def _k_plus_1_points(k: int) -> int:
    return k + 1


RULES: tuple[Rule, ...] = (
    _nelson(1, "Beyond limits", beyond_limits, BeyondLimitsParams, _one_point,
            applies_to=ALL_FAMILIES, enabled_on=ALL_FAMILIES, severity="CRITICAL", sided=True),
    _nelson(2, "Shift", shift, ShiftParams, _k_points,
            applies_to=RUN_FAMILIES, enabled_on=ZONE_FAMILIES, sided=True),
    _nelson(3, "Trend", trend, TrendParams, _k_points,
            applies_to=RUN_FAMILIES, enabled_on=ZONE_FAMILIES),
    _nelson(4, "Alternating", alternating, AlternatingParams, _k_points,
            applies_to=RUN_FAMILIES, enabled_on=ZONE_FAMILIES),
    _nelson(5, "2 of 3 beyond 2 sigma", two_of_three, TwoOfThreeParams, _k_plus_1_points,
            applies_to=ZONE_FAMILIES, enabled_on=LOCATION, sided=True),
    _nelson(6, "4 of 5 beyond 1 sigma", four_of_five, FourOfFiveParams, _k_plus_1_points,
            applies_to=ZONE_FAMILIES, enabled_on=LOCATION, sided=True),
    _nelson(7, "Stratification", stratification, StratificationParams, _k_points,
            applies_to=ZONE_FAMILIES, enabled_on=LOCATION),
    _nelson(8, "Mixture", mixture, MixtureParams, _k_points,
            applies_to=ZONE_FAMILIES, enabled_on=LOCATION),
)  # fmt: skip
