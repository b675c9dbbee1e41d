"""Capability indices, histogram and normality test against published results and by hand."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from openspc.stats import (
    anderson_darling,
    anderson_darling_p_value,
    capability,
    estimate_limits,
    histogram,
    normal_cdf,
)

# qcc 3.0 vignette, processCapability(qcc(diameter[1:25,], type="xbar"), ...): the 125 phase-I
# piston-ring diameters, center 74.00118, within σ = R̄/d2 printed as 0.009785039; indices
# printed to 3 decimals (the first call to 2). Columns: LSL, USL, target (None: qcc's default,
# the mid-point), Cp, Cp_l, Cp_u, Cp_k, Cpm.
# qcc 3.0's σ was R̄ = 0.02276 over its tabled d2(5) = 2.326; Cp_u = 3.3665 for the last spec
# sits on a rounding boundary, so the printed 0.009785039 is not precise enough to reproduce it.
QCC_PISTONRINGS_SIGMA = 0.02276 / 2.326
QCC_CAPABILITY = [
    (73.95, 74.05, None, "1.70", "1.74", "1.66", "1.66", "1.69"),
    (73.95, 74.05, 74.02, "1.703", "1.743", "1.663", "1.663", "0.786"),
    (73.99, 74.01, None, "0.341", "0.381", "0.301", "0.301", "0.338"),
    (73.99, 74.1, None, "1.874", "0.381", "3.367", "0.381", "0.408"),
]


def assert_printed(actual: float | None, printed: str) -> None:
    assert actual is not None
    assert abs(actual - float(printed)) <= 0.5 * 10.0 ** -len(printed.partition(".")[2])


@pytest.mark.parametrize(("lsl", "usl", "target", "cp", "cpl", "cpu", "cpk", "cpm"), QCC_CAPABILITY)
def test_pistonrings_capability_matches_qcc(
    pistonrings_phase_one: np.ndarray,
    lsl: float,
    usl: float,
    target: float | None,
    cp: str,
    cpl: str,
    cpu: str,
    cpk: str,
    cpm: str,
) -> None:
    result = capability(
        pistonrings_phase_one, QCC_PISTONRINGS_SIGMA, lsl=lsl, usl=usl, target=target
    )
    assert abs(QCC_PISTONRINGS_SIGMA - 0.009785039) < 5e-10
    assert result.n == 125
    assert_printed(result.mean, "74.00118")
    assert result.target == (target if target is not None else (lsl + usl) / 2)
    assert_printed(result.cp, cp)
    assert_printed(result.cpl, cpl)
    assert_printed(result.cpu, cpu)
    assert_printed(result.cpk, cpk)
    assert_printed(result.cpm, cpm)


def test_capability_with_the_charts_own_sigma_rounds_like_qcc(
    pistonrings_phase_one: np.ndarray,
) -> None:
    sigma = estimate_limits("xbar_r", pistonrings_phase_one).sigma
    result = capability(pistonrings_phase_one, sigma, lsl=73.95, usl=74.05)
    for index, printed in [("cp", "1.703"), ("cpk", "1.663"), ("cpm", "1.69")]:
        assert_printed(getattr(result, index), printed)


def test_performance_indices_use_the_overall_sample_sd(pistonrings_phase_one: np.ndarray) -> None:
    x = pistonrings_phase_one.ravel().tolist()
    mean = sum(x) / len(x)
    overall = math.sqrt(sum((v - mean) ** 2 for v in x) / (len(x) - 1))
    result = capability(pistonrings_phase_one, 0.01, lsl=73.95, usl=74.05)

    assert result.sigma_overall == pytest.approx(overall, rel=1e-12)
    assert result.pp == pytest.approx(0.1 / (6 * overall), rel=1e-12)
    assert result.ppl == pytest.approx((mean - 73.95) / (3 * overall), rel=1e-12)
    assert result.ppu == pytest.approx((74.05 - mean) / (3 * overall), rel=1e-12)
    assert result.ppk == pytest.approx((74.05 - mean) / (3 * overall), rel=1e-12)  # USL nearer


def test_one_sided_specifications(pistonrings_phase_one: np.ndarray) -> None:
    upper_only = capability(pistonrings_phase_one, QCC_PISTONRINGS_SIGMA, usl=74.05)
    assert (upper_only.cp, upper_only.cpl, upper_only.pp, upper_only.ppl) == (None,) * 4
    assert upper_only.cpm is None and upper_only.target is None
    assert_printed(upper_only.cpk, "1.663")  # = Cp_u of the two-sided qcc result
    assert upper_only.ppk == upper_only.ppu

    lower_only = capability(pistonrings_phase_one, QCC_PISTONRINGS_SIGMA, lsl=73.95)
    assert (lower_only.cp, lower_only.cpu, lower_only.cpm) == (None, None, None)
    assert_printed(lower_only.cpk, "1.743")
    assert lower_only.ppk == lower_only.ppl


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "specification limit"),
        ({"lsl": 74.05, "usl": 73.95}, "LSL must be below USL"),
        ({"lsl": 73.95, "sigma_within": 0.0}, "sigma_within"),
    ],
)
def test_capability_refuses_unusable_input(kwargs: dict[str, float], message: str) -> None:
    arguments = {"sigma_within": 0.01, **kwargs}
    with pytest.raises(ValueError, match=message):
        capability([74.0, 74.01, 73.99], **arguments)


# --- histogram ------------------------------------------------------------------------------


def _expected_bins(x: list[float]) -> tuple[int, str]:
    """Freedman–Diaconis bins, at least Sturges', at most ⌈2√n⌉; and which rule decided."""
    n = len(x)
    q1, _, q3 = statistics.quantiles(x, n=4, method="inclusive")
    sturges = math.ceil(math.log2(n) + 1)
    if q3 == q1:
        return sturges, "sturges"
    fd = math.ceil((max(x) - min(x)) / (2 * (q3 - q1) / n ** (1 / 3)))
    cap = math.ceil(2 * math.sqrt(n))
    if fd > cap:
        return cap, "cap"
    return (fd, "freedman-diaconis") if fd > sturges else (sturges, "sturges")


@pytest.mark.parametrize(
    ("sample", "rule"),
    [
        ("pistonrings", "freedman-diaconis"),
        ("viscosity", "sturges"),
        ("tied", "sturges"),  # IQR of 0
        ("outlier", "cap"),
    ],
)
def test_histogram_bins_follow_the_documented_rule(
    sample: str, rule: str, pistonrings: np.ndarray, viscosity: np.ndarray
) -> None:
    x = {
        "pistonrings": pistonrings.ravel(),
        "viscosity": viscosity,
        "tied": np.array([5.0] * 20 + [4.0, 6.0, 7.5]),
        "outlier": np.append(pistonrings.ravel(), 80.0),
    }[sample]
    values = x.tolist()
    expected_bins, deciding_rule = _expected_bins(values)
    assert deciding_rule == rule
    result = histogram(x)

    bins = len(result.counts)
    assert bins == expected_bins
    assert result.edges[0] == min(values) and result.edges[-1] == max(values)
    np.testing.assert_allclose(np.diff(result.edges), (max(values) - min(values)) / bins)
    by_hand = [0] * bins
    for v in values:
        index = min(int(np.searchsorted(result.edges, v, side="right")) - 1, bins - 1)
        by_hand[index] += 1
    assert result.counts.tolist() == by_hand


def test_histogram_of_identical_values_has_one_bin() -> None:
    result = histogram([3.0, 3.0, 3.0])
    assert result.counts.tolist() == [3]
    assert result.edges.tolist() == [2.5, 3.5]


# --- normal distribution and Anderson–Darling -----------------------------------------------


def test_normal_cdf_matches_high_precision_values() -> None:
    # Φ to 16 digits, from a 30-digit mpmath evaluation (ncdf), including a far tail.
    points = [-10.0, -3.0, 0.0, 1.0, 1.959963984540054, 3.0]
    table = [
        7.619853024160527e-24,
        1.3498980316300946e-3,
        0.5,
        0.8413447460685429,
        0.975,
        0.9986501019683699,
    ]
    np.testing.assert_allclose(normal_cdf(points), table, rtol=1e-13)


MTCARS_MPG = [
    21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2, 10.4, 10.4,
    14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4, 15.8, 19.7, 15.0, 21.4,
]  # fmt: skip


def _stephens_p_value(a2_star: float) -> float:
    """D'Agostino & Stephens (1986) Table 4.9, written out independently."""
    z = a2_star
    if z >= 0.6:
        return math.exp(1.2937 - 5.709 * z + 0.0186 * z**2)
    if z >= 0.34:
        return math.exp(0.9177 - 4.279 * z - 1.38 * z**2)
    if z >= 0.2:
        return 1 - math.exp(-8.318 + 42.796 * z - 59.938 * z**2)
    return 1 - math.exp(-13.436 + 101.14 * z - 223.73 * z**2)


def test_anderson_darling_matches_nortest_on_mtcars_mpg() -> None:
    """R: ``nortest::ad.test(mtcars$mpg)`` prints ``A = 0.57968``."""
    assert statistics.fmean(MTCARS_MPG) == pytest.approx(20.090625)  # the data set's summary
    result = anderson_darling(MTCARS_MPG)
    assert result.n == 32
    assert abs(result.a2 - 0.57968) <= 0.000005
    assert result.a2_star == pytest.approx(result.a2 * (1 + 0.75 / 32 + 2.25 / 32**2), rel=1e-15)
    assert result.p_value == pytest.approx(_stephens_p_value(result.a2_star), rel=1e-12)
    assert 0.1 < result.p_value < 0.15  # not rejected, as the published analysis concludes


def _plain_a2(x: list[float]) -> float:
    """A² by the textbook formula, with loops and math.erf."""
    n = len(x)
    mean = sum(x) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in x) / (n - 1))
    cdf = [0.5 * (1 + math.erf((v - mean) / sd / math.sqrt(2))) for v in sorted(x)]
    total = sum((2 * i + 1) * (math.log(cdf[i]) + math.log(1 - cdf[n - 1 - i])) for i in range(n))
    return -n - total / n


def test_anderson_darling_matches_a_plain_computation(pistonrings: np.ndarray) -> None:
    result = anderson_darling(pistonrings)
    assert result.a2 == pytest.approx(_plain_a2(pistonrings.ravel().tolist()), rel=1e-10)


@pytest.mark.parametrize("a2_star", [0.05, 0.19, 0.2, 0.3, 0.34, 0.5, 0.6, 1.0, 3.0, 9.9])
def test_anderson_darling_p_value_branches(a2_star: float) -> None:
    assert anderson_darling_p_value(a2_star) == pytest.approx(_stephens_p_value(a2_star))


def test_anderson_darling_p_value_bottoms_out_like_nortest() -> None:
    # nortest reports 3.7e-24 for every A²* of 10 or more.
    assert anderson_darling_p_value(10.0) == pytest.approx(3.7e-24, rel=0.02)
    assert anderson_darling_p_value(500.0) == anderson_darling_p_value(10.0)


def test_a_far_outlier_gives_a_finite_statistic() -> None:
    x = [0.0] * 2000 + [1.0] * 2000 + [1e6]
    result = anderson_darling(x)
    assert math.isfinite(result.a2)
    assert result.p_value == anderson_darling_p_value(10.0)


@given(
    x=hnp.arrays(
        np.float64, st.integers(min_value=8, max_value=50), elements=st.integers(-999, 999)
    ),
    scale=st.floats(min_value=0.01, max_value=100),
    shift=st.floats(min_value=-1000, max_value=1000),
)
def test_anderson_darling_does_not_depend_on_units_or_order(
    x: np.ndarray, scale: float, shift: float
) -> None:
    if np.ptp(x) == 0:
        return
    base = anderson_darling(x)
    moved = anderson_darling((x * scale + shift)[::-1])
    assert moved.a2 == pytest.approx(base.a2, rel=1e-6, abs=1e-9)


def test_anderson_darling_needs_eight_values() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        anderson_darling([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
