"""EWMA and tabular CUSUM against published examples and a plain-loop reference.

- NIST/SEMATECH e-Handbook of Statistical Methods, 6.3.2.4 (EWMA control charts): target 50,
  σ = 2.0539, λ = 0.3, L = 3; EWMA 50.60, 49.52, 50.56, ... and asymptotic limits 52.5884 /
  47.4115; nothing out of control.
- Montgomery, *Introduction to Statistical Quality Control* (6th ed.), Table 9.1/9.2: 30
  individual values, μ0 = 10, σ = 1, k = 0.5, h = 5; the upper CUSUM first exceeds H = 5 at
  period 29 (C⁺₂₉ = 5.28).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openspc.stats import (
    CusumParams,
    EwmaParams,
    cusum,
    estimate_time_weighted_limits,
    ewma,
    time_weighted_limits,
)

NIST_EWMA = [50.60, 49.52, 50.56, 50.18, 50.16, 49.21, 49.75, 49.85, 50.26, 50.33, 50.11]
NIST_EWMA += [49.36, 49.52, 50.05, 49.38, 49.92, 50.73, 51.23, 51.94, 51.99]

MONTGOMERY_CUSUM = [9.45, 7.99, 9.29, 11.66, 12.16, 10.18, 8.04, 11.46, 9.20, 10.34]
MONTGOMERY_CUSUM += [9.03, 11.47, 10.51, 9.40, 10.08, 9.37, 10.62, 10.31, 8.52, 10.84]
MONTGOMERY_CUSUM += [10.90, 9.33, 12.29, 11.50, 10.60, 11.08, 10.38, 11.62, 11.31, 10.52]
# Table 9.2's upper sums C⁺ at periods 1-30 as printed (two decimals).
MONTGOMERY_UPPER = [0, 0, 0, 1.16, 2.82, 2.50, 0.04, 1.00, 0, 0, 0, 0.97, 0.98, 0, 0]
MONTGOMERY_UPPER += [0, 0.12, 0, 0, 0.34, 0.74, 0, 1.79, 2.79, 2.89, 3.47, 3.35, 4.47, 5.28, 5.30]


def beyond(points) -> list[int]:  # type: ignore[no-untyped-def]
    """1-based points whose z-score is beyond ±3 (Nelson rule 1)."""
    return (np.flatnonzero(np.abs(points.band.z(points.signal)) > 3) + 1).tolist()


def test_nist_ewma_example(nist_ewma: np.ndarray) -> None:
    params = EwmaParams.model_validate({"lambda": 0.3, "L": 3})
    limits = time_weighted_limits("ewma", 50.0, 2.0539, 1, params)
    assert round(limits.ucl, 4) == 52.5884
    assert 47.4115 <= limits.lcl < 47.4116  # 47.41157: the handbook truncates
    points = ewma(nist_ewma, limits, params)
    assert np.round(points.statistic, 2).tolist() == NIST_EWMA
    assert beyond(points) == []
    # exact limits widen towards the asymptotic ones
    first = 50 + 3 * 2.0539 * math.sqrt(0.3 / 1.7 * (1 - 0.7**2))
    assert points.band.ucl[0] == pytest.approx(first)
    assert np.all(np.diff(points.band.ucl) > 0) and points.band.ucl[-1] == pytest.approx(
        limits.ucl, abs=1e-4
    )


def test_ewma_signals_a_shift_beyond_its_limits() -> None:
    params = EwmaParams()
    limits = time_weighted_limits("ewma", 0.0, 1.0, 1, params)
    points = ewma([0.0] * 5 + [1.5] * 10, limits, params)
    fired = beyond(points)
    assert fired and fired[0] > 5 and points.signal[fired[0] - 1] > 0


def test_montgomery_cusum_example() -> None:
    params = CusumParams(k=0.5, h=5.0)
    limits = time_weighted_limits("cusum", 10.0, 1.0, 1, params)
    assert (limits.ucl, limits.lcl) == (5.0, -5.0)
    points = cusum(MONTGOMERY_CUSUM, limits, params)
    assert np.round(points.statistic, 2).tolist() == MONTGOMERY_UPPER
    assert beyond(points) == [29, 30]
    assert points.signal[28] == pytest.approx(points.statistic[28])  # the upper side


def test_cusum_restarts_after_a_signal_when_asked() -> None:
    params = CusumParams(k=0.5, h=5.0, reset_after_signal=True)
    limits = time_weighted_limits("cusum", 10.0, 1.0, 1, params)
    points = cusum(MONTGOMERY_CUSUM, limits, params)
    assert beyond(points) == [29]
    assert points.statistic[29] == pytest.approx(max(0.0, 10.52 - 10.5))


def test_subgroup_means_use_sigma_over_root_n() -> None:
    params = EwmaParams.model_validate({"lambda": 1.0, "L": 3})  # λ = 1: a Shewhart X̄ chart
    limits = time_weighted_limits("ewma", 10.0, 2.0, 4, params)
    assert limits.ucl == pytest.approx(10 + 3 * 2 / 2) and limits.lcl == pytest.approx(10 - 3)


def test_phase_one_estimate_follows_the_shewhart_chart(
    viscosity_phase_one: np.ndarray, pistonrings_phase_one: np.ndarray
) -> None:
    from openspc.stats import estimate_limits

    imr = estimate_limits("imr", viscosity_phase_one)
    tw = estimate_time_weighted_limits("ewma", viscosity_phase_one[:, None], EwmaParams())
    assert (tw.center_line, tw.sigma, tw.sigma_method) == (imr.center_line, imr.sigma, "mr_bar")
    xbar = estimate_limits("xbar_r", pistonrings_phase_one)
    tw = estimate_time_weighted_limits("cusum", pistonrings_phase_one, CusumParams())
    assert (tw.center_line, tw.sigma, tw.subgroup_size) == (xbar.center_line, xbar.sigma, 5)


def test_parameters_are_validated() -> None:
    with pytest.raises(ValueError, match="lambda"):
        EwmaParams.model_validate({"lambda": 0.001})
    with pytest.raises(ValueError, match="extra"):
        CusumParams.model_validate({"K": 1})
    with pytest.raises(ValueError, match="sigma"):
        time_weighted_limits("ewma", 0.0, 0.0, 1, EwmaParams())


# --- against a plain-loop reference, and streaming in pieces = all at once -----------------


def ewma_reference(
    x: list[float], mu: float, sigma: float, lam: float, width: float
) -> list[tuple[float, float, float]]:
    out, e = [], mu
    for t, v in enumerate(x, start=1):
        e = lam * v + (1 - lam) * e
        sd = sigma * math.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))
        out.append((e, mu + width * sd, mu - width * sd))
    return out


def cusum_reference(
    x: list[float], mu: float, sigma: float, k: float, h: float, reset: bool
) -> list[tuple[float, float, bool]]:
    out, cp, cm = [], 0.0, 0.0
    for v in x:
        cp = max(0.0, v - (mu + k * sigma) + cp)
        cm = max(0.0, (mu - k * sigma) - v + cm)
        signal = cp > h * sigma or cm > h * sigma
        out.append((cp, cm, signal))
        if reset and signal:
            cp = cm = 0.0
    return out


values = st.lists(st.floats(-20, 20, allow_nan=False), min_size=1, max_size=60)
splits = st.lists(st.integers(1, 60), max_size=5)


@given(values, st.floats(0.05, 1.0), st.floats(1.0, 4.0), splits)
def test_ewma_equals_the_loop_in_any_pieces(
    x: list[float], lam: float, width: float, cuts: list[int]
) -> None:
    params = EwmaParams.model_validate({"lambda": lam, "L": width})
    limits = time_weighted_limits("ewma", 1.0, 2.5, 1, params)
    carry, stats, ucl, lcl = None, [], [], []
    for piece in np.split(np.asarray(x), sorted({c for c in cuts if c < len(x)})):
        points = ewma(piece, limits, params, carry)
        carry = points.carry
        stats += points.statistic.tolist()
        ucl += points.band.ucl.tolist()
        lcl += points.band.lcl.tolist()
    for i, (e, upper, lower) in enumerate(ewma_reference(x, 1.0, 2.5, lam, width)):
        assert stats[i] == pytest.approx(e, rel=1e-9, abs=1e-9)
        assert ucl[i] == pytest.approx(upper, rel=1e-9) and lcl[i] == pytest.approx(lower, rel=1e-9)
    assert carry is not None and carry.count == len(x)


@given(values, st.floats(0.0, 2.0), st.floats(0.5, 8.0), st.booleans(), splits)
def test_cusum_equals_the_loop_in_any_pieces(
    x: list[float], k: float, h: float, reset: bool, cuts: list[int]
) -> None:
    params = CusumParams(k=k, h=h, reset_after_signal=reset)
    limits = time_weighted_limits("cusum", 1.0, 2.5, 1, params)
    carry, upper, lower, fired = None, [], [], []
    for piece in np.split(np.asarray(x), sorted({c for c in cuts if c < len(x)})):
        points = cusum(piece, limits, params, carry)
        carry = points.carry
        upper += points.statistic.tolist()
        lower += points.lower.tolist()  # type: ignore[union-attr]
        fired += (np.abs(points.band.z(points.signal)) > 3).tolist()
    for i, (cp, cm, signal) in enumerate(cusum_reference(x, 1.0, 2.5, k, h, reset)):
        assert upper[i] == pytest.approx(cp, abs=1e-9) and lower[i] == pytest.approx(cm, abs=1e-9)
        if abs(max(cp, cm) - h * 2.5) > 1e-9:  # not on the line within rounding
            assert fired[i] == signal
