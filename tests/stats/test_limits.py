"""Phase-I limits against published results and against plain-loop computations.

Published oracle: the qcc 3.0 vignette ("A quick tour of qcc", L. Scrucca), which prints
qcc's results on Montgomery's data sets. qcc 3.0 divided by the 3-decimal d2 of its table
(2.326 for n = 5, 1.128 for n = 2) where OpenSPC uses the exact d2 (2.32593, 1.12838), so
quantities built from R̄/d2 or MR̄/d2 may differ from the printed digits by that rounding:
a relative 0.0005/d2(n) at most (``qcc_d2_rounding``), on top of the printing itself.
"""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pytest

from openspc.stats import (
    SIGMA_METHODS,
    SigmaMethod,
    c4,
    constants,
    d2,
    d3,
    estimate_limits,
    limits_from_sigma,
    plotted_points,
    point_limits,
    sigma_from_individuals,
    sigma_from_subgroups,
    standardize,
    subgroup_stats,
)
from openspc.stats.constants import MEDIAN_RANGE_SPAN_2


def half_unit(printed: str) -> float:
    """Half a unit in the last printed digit."""
    return 0.5 * 10.0 ** -len(printed.partition(".")[2])


def assert_printed(actual: float, printed: str, slack: float = 0.0) -> None:
    """``actual`` agrees with the printed number to its printed digits (plus ``slack``)."""
    assert abs(actual - float(printed)) <= half_unit(printed) + slack, (actual, printed)


def qcc_d2_rounding(*sizes: int) -> float:
    """Largest relative error of qcc 3.0's 3-decimal d2 for these subgroup sizes."""
    return max(0.0005 / float(d2(n)) for n in sizes)


# --- pistonrings, phase I (first 25 subgroups of 5) ----------------------------------------


def test_pistonrings_xbar_r_matches_qcc_and_montgomery(pistonrings_phase_one: np.ndarray) -> None:
    limits = estimate_limits("xbar_r", pistonrings_phase_one)

    assert limits.subgroup_count == 25
    assert limits.subgroup_size == 5
    assert_printed(limits.center_line, "74.00118")
    assert_printed(limits.dispersion_center, "0.02276000")  # R̄ (qcc prints 0.02276)
    sigma_slack = qcc_d2_rounding(5)
    assert limits.sigma == pytest.approx(0.009785039, rel=sigma_slack)
    limit_slack = 3 * limits.sigma / math.sqrt(5) * sigma_slack
    assert_printed(limits.lcl, "73.98805", limit_slack)
    assert_printed(limits.ucl, "74.01430", limit_slack)
    # R chart: qcc prints UCL 0.04812533 from 0.02276 + 3·0.864·σ with its 3-decimal d3 ...
    assert_printed(limits.dispersion_ucl, "0.04812533", 3 * 0.0005 * limits.sigma)
    # ... and Montgomery's D4·R̄ with the table's D4 = 2.114.
    assert_printed(limits.dispersion_ucl, "0.04811", 0.0005 * 0.02276)
    assert limits.dispersion_lcl == 0.0


def test_pistonrings_xbar_s_matches_qcc(pistonrings_phase_one: np.ndarray) -> None:
    limits = estimate_limits("xbar_s", pistonrings_phase_one)

    # qcc computes c4 exactly, so these carry all the printed digits.
    assert_printed(limits.sigma, "0.009829977")
    assert_printed(limits.dispersion_center, "0.009240037")  # S̄
    assert_printed(limits.dispersion_ucl, "0.01930242")
    assert limits.dispersion_lcl == 0.0
    # The X̄ chart of the pair: qcc's center and σ, limits CL ± 3σ/√5 (qcc's limits.xbar).
    assert_printed(limits.center_line, "74.00118")
    assert limits.ucl == pytest.approx(74.00118 + 3 * 0.009829977 / math.sqrt(5), abs=1e-5)
    assert limits.lcl == pytest.approx(74.00118 - 3 * 0.009829977 / math.sqrt(5), abs=1e-5)


def test_pistonrings_textbook_factors_give_the_same_limits(
    pistonrings_phase_one: np.ndarray,
) -> None:
    """X̄̄ ± A2·R̄, D4·R̄, X̄̄ ± A3·S̄ and B4·S̄ with full-precision factors."""
    rows = pistonrings_phase_one.tolist()
    grand_mean = statistics.fmean(x for row in rows for x in row)
    r_bar = statistics.fmean(max(row) - min(row) for row in rows)
    s_bar = statistics.fmean(statistics.stdev(row) for row in rows)
    factors = constants(5)

    by_range = estimate_limits("xbar_r", pistonrings_phase_one)
    assert by_range.ucl == pytest.approx(grand_mean + factors.A2 * r_bar, rel=1e-13)
    assert by_range.lcl == pytest.approx(grand_mean - factors.A2 * r_bar, rel=1e-13)
    assert by_range.dispersion_ucl == pytest.approx(factors.D4 * r_bar, rel=1e-12)

    by_sd = estimate_limits("xbar_s", pistonrings_phase_one)
    assert by_sd.ucl == pytest.approx(grand_mean + factors.A3 * s_bar, rel=1e-13)
    assert by_sd.dispersion_ucl == pytest.approx(factors.B4 * s_bar, rel=1e-12)


# --- unequal subgroup sizes ---------------------------------------------------------------


def test_unequal_sizes_match_qcc(pistonrings_unequal: np.ndarray) -> None:
    """qcc vignette, ``qcc(diameter2[1:25,], type="xbar")``: sizes 3 (4×), 4 (4×), 5 (17×)."""
    phase_one = pistonrings_unequal[:25]
    limits = estimate_limits("xbar_r", phase_one)
    sizes = subgroup_stats(phase_one).n
    assert sorted(np.unique(sizes, return_counts=True)[1].tolist()) == [4, 4, 17]

    assert_printed(limits.center_line, "74.00075")
    sigma_slack = qcc_d2_rounding(3, 4, 5)
    assert limits.sigma == pytest.approx(0.009856701, rel=sigma_slack)
    assert limits.subgroup_size == 5
    bands = point_limits(limits, [5, 3])
    for i, (n, lcl, ucl) in enumerate([(5, "73.98753", "74.01398"), (3, "73.98368", "74.01782")]):
        slack = 3 * limits.sigma / math.sqrt(n) * sigma_slack
        assert_printed(bands.location.lcl[i], lcl, slack)
        assert_printed(bands.location.ucl[i], ucl, slack)


def _plain_limits(rows: list[list[float]]) -> list[tuple[float, float, float, float, float]]:
    """X̄-R limits per subgroup by hand: grand mean, σ = mean of R_i/d2(n_i), 3-sigma lines."""
    everything = [x for row in rows for x in row]
    grand_mean = sum(everything) / len(everything)
    sigma = sum((max(row) - min(row)) / float(d2(len(row))) for row in rows) / len(rows)
    lines = []
    for row in rows:
        n = len(row)
        r_center = float(d2(n)) * sigma
        r_spread = 3 * float(d3(n)) * sigma
        lines.append(
            (
                grand_mean - 3 * sigma / math.sqrt(n),
                grand_mean + 3 * sigma / math.sqrt(n),
                max(0.0, r_center - r_spread),
                r_center,
                r_center + r_spread,
            )
        )
    return lines


def test_unequal_sizes_match_a_plain_loop(pistonrings_unequal: np.ndarray) -> None:
    values = pistonrings_unequal
    rows = [[x for x in row if not math.isnan(x)] for row in values.tolist()]
    limits = estimate_limits("xbar_r", values)
    bands = point_limits(limits, [len(row) for row in rows])

    computed = zip(
        bands.location.lcl,
        bands.location.ucl,
        bands.dispersion.lcl,
        bands.dispersion.center,
        bands.dispersion.ucl,
        strict=True,
    )
    for got, expected in zip(computed, _plain_limits(rows), strict=True):
        assert got == pytest.approx(expected, rel=1e-12)
    assert len({round(float(ucl), 9) for ucl in bands.location.ucl}) == 3  # one per size


def test_scalar_limits_are_drawn_for_the_most_common_subgroup_size() -> None:
    nan = math.nan
    values = [
        [1.0, 2.0, 3.0, nan],
        [2.0, 4.0, 3.0, nan],
        [1.0, 1.5, 2.0, nan],
        [1.0, 2.0, 3.0, 5.0],
    ]
    limits = estimate_limits("xbar_r", values)
    bands = point_limits(limits, [3])
    assert limits.subgroup_size == 3
    assert (limits.lcl, limits.ucl) == (bands.location.lcl[0], bands.location.ucl[0])
    assert limits.dispersion_ucl == bands.dispersion.ucl[0]


def _plain_sigma(rows: list[list[float]], method: str) -> float:
    ranges = [max(row) - min(row) for row in rows]
    sds = [statistics.stdev(row) for row in rows]
    sizes = [len(row) for row in rows]
    d2s = [float(d2(n)) for n in sizes]
    c4s = [float(c4(n)) for n in sizes]
    if method == "r_bar":
        return sum(r / k for r, k in zip(ranges, d2s, strict=True)) / len(rows)
    if method == "r_bar_mvlue":
        weights = [(float(d2(n)) / float(d3(n))) ** 2 for n in sizes]
        estimates = [r / k for r, k in zip(ranges, d2s, strict=True)]
        return sum(w * e for w, e in zip(weights, estimates, strict=True)) / sum(weights)
    if method == "s_bar":
        return sum(s / k for s, k in zip(sds, c4s, strict=True)) / len(rows)
    if method == "s_bar_mvlue":
        weights = [k * k / (1 - k * k) for k in c4s]
        estimates = [s / k for s, k in zip(sds, c4s, strict=True)]
        return sum(w * e for w, e in zip(weights, estimates, strict=True)) / sum(weights)
    assert method == "pooled_sd"
    degrees = sum(n - 1 for n in sizes)
    pooled = math.sqrt(sum((n - 1) * s * s for n, s in zip(sizes, sds, strict=True)) / degrees)
    return pooled / float(c4(degrees + 1))


@pytest.mark.parametrize("method", ["r_bar", "r_bar_mvlue", "s_bar", "s_bar_mvlue", "pooled_sd"])
def test_subgroup_sigma_methods_match_a_plain_loop(
    pistonrings_unequal: np.ndarray, method: SigmaMethod
) -> None:
    rows = [[x for x in row if not math.isnan(x)] for row in pistonrings_unequal.tolist()]
    estimate = sigma_from_subgroups(subgroup_stats(pistonrings_unequal), method)
    assert estimate == pytest.approx(_plain_sigma(rows, method), rel=1e-12)


def test_weighted_and_unweighted_estimators_agree_for_equal_sizes(pistonrings: np.ndarray) -> None:
    stats = subgroup_stats(pistonrings)
    assert sigma_from_subgroups(stats, "r_bar_mvlue") == pytest.approx(
        sigma_from_subgroups(stats, "r_bar"), rel=1e-13
    )
    assert sigma_from_subgroups(stats, "s_bar_mvlue") == pytest.approx(
        sigma_from_subgroups(stats, "s_bar"), rel=1e-13
    )


def test_x_bar_s_chart_lines_per_point_match_a_plain_loop() -> None:
    sigma = 0.01
    limits = limits_from_sigma("xbar_s", 74.0, sigma, 5)
    bands = point_limits(limits, [3, 4, 5])
    for i, n in enumerate([3, 4, 5]):
        k = float(c4(n))
        assert bands.dispersion.center[i] == pytest.approx(k * sigma, rel=1e-14)
        assert bands.dispersion.ucl[i] == pytest.approx(
            k * sigma + 3 * sigma * math.sqrt(1 - k * k), rel=1e-14
        )
        assert bands.dispersion.lcl[i] == 0.0  # B3 = 0 up to n = 5


# --- viscosity, individuals -----------------------------------------------------------------


def test_viscosity_i_mr_matches_qcc(viscosity: np.ndarray, viscosity_phase_one: np.ndarray) -> None:
    """qcc vignette: ``qcc(viscosity[trial], type="xbar.one")``."""
    limits = estimate_limits("imr", viscosity_phase_one)

    assert limits.subgroup_count == 20
    assert_printed(limits.center_line, "34.088")
    # qcc's σ is MR̄/1.128, so MR̄ itself is recovered to the printed digits:
    assert limits.dispersion_center == pytest.approx(0.5076521 * 1.128, abs=1.128 * 5e-8)
    sigma_slack = qcc_d2_rounding(2)
    assert limits.sigma == pytest.approx(0.5076521, rel=sigma_slack)
    assert_printed(limits.lcl, "32.56504", 3 * limits.sigma * sigma_slack)
    assert_printed(limits.ucl, "35.61096", 3 * limits.sigma * sigma_slack)
    # MR chart: UCL = D4(2)·MR̄ with the table's D4 = 3.267, LCL = 0.
    assert limits.dispersion_ucl == pytest.approx(
        3.267 * limits.dispersion_center, abs=0.0005 * limits.dispersion_center
    )
    assert limits.dispersion_lcl == 0.0


def test_excluding_a_sample_matches_qcc_without_it(viscosity_phase_one: np.ndarray) -> None:
    """qcc vignette: batch 4 (a temperature controller failure) removed, limits recomputed."""
    excluded = np.zeros(viscosity_phase_one.size, dtype=bool)
    excluded[3] = True
    limits = estimate_limits("imr", viscosity_phase_one, excluded=excluded)

    assert limits.subgroup_count == 19
    assert_printed(limits.center_line, "33.98947")
    assert limits.dispersion_center == pytest.approx(0.4117415 * 1.128, abs=1.128 * 5e-8)
    slack = 3 * limits.sigma * qcc_d2_rounding(2)
    assert_printed(limits.lcl, "32.75425", slack)
    assert_printed(limits.ucl, "35.22470", slack)


def test_individuals_sigma_methods_match_a_plain_loop(viscosity: np.ndarray) -> None:
    x = viscosity.tolist()
    moving = [abs(b - a) for a, b in itertools.pairwise(x)]
    mean_mr = sum(moving) / len(moving)
    assert sigma_from_individuals(viscosity, "mr_bar") == pytest.approx(
        mean_mr / (2 / math.sqrt(math.pi)), rel=1e-13
    )
    median_divisor = math.sqrt(2) * statistics.NormalDist().inv_cdf(0.75)
    assert sigma_from_individuals(viscosity, "mr_median") == pytest.approx(
        statistics.median(moving) / median_divisor, rel=1e-13
    )
    assert median_divisor == MEDIAN_RANGE_SPAN_2


def test_missing_individual_values_are_bridged_like_excluded_ones(viscosity: np.ndarray) -> None:
    with_gap = viscosity.copy()
    with_gap[3] = np.nan
    excluded = np.zeros(with_gap.size, dtype=bool)
    excluded[3] = True
    assert estimate_limits("imr", with_gap) == estimate_limits("imr", viscosity, excluded=excluded)


# --- z-scores -------------------------------------------------------------------------------


def test_z_scores_follow_their_definitions(pistonrings_unequal: np.ndarray) -> None:
    values = pistonrings_unequal
    for chart_type in ("xbar_r", "xbar_s"):
        limits = estimate_limits(chart_type, values[:25])
        points = plotted_points(chart_type, values)
        z_location, z_dispersion = standardize(limits, points)
        sigma, center = limits.sigma, limits.center_line
        for i, row in enumerate(values.tolist()):
            row = [x for x in row if not math.isnan(x)]
            n = len(row)
            assert z_location[i] == pytest.approx(
                (statistics.fmean(row) - center) / (sigma / math.sqrt(n)), rel=1e-9
            )
            if chart_type == "xbar_r":
                expected = (max(row) - min(row) - float(d2(n)) * sigma) / (float(d3(n)) * sigma)
            else:
                k = float(c4(n))
                expected = (statistics.stdev(row) - k * sigma) / (sigma * math.sqrt(1 - k * k))
            assert z_dispersion[i] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_individuals_z_scores(viscosity: np.ndarray, viscosity_phase_one: np.ndarray) -> None:
    limits = estimate_limits("imr", viscosity_phase_one)
    z_location, z_dispersion = standardize(limits, plotted_points("imr", viscosity))
    x = viscosity.tolist()
    assert math.isnan(z_dispersion[0])
    for i in range(1, len(x)):
        expected = (abs(x[i] - x[i - 1]) - float(d2(2)) * limits.sigma) / (
            float(d3(2)) * limits.sigma
        )
        assert z_dispersion[i] == pytest.approx(expected, rel=1e-12, abs=1e-12)
        assert z_location[i] == pytest.approx((x[i] - limits.center_line) / limits.sigma)


def test_points_on_the_limits_have_z_of_three(pistonrings_phase_one: np.ndarray) -> None:
    limits = estimate_limits("xbar_r", pistonrings_phase_one)
    bands = point_limits(limits, [5, 5])
    assert bands.location.z([limits.ucl, limits.lcl]) == pytest.approx([3.0, -3.0])
    assert bands.dispersion.z([limits.dispersion_ucl, limits.dispersion_center]) == pytest.approx(
        [3.0, 0.0]
    )


def test_one_new_subgroup_scores_like_the_batch(
    pistonrings: np.ndarray, pistonrings_phase_one: np.ndarray
) -> None:
    limits = estimate_limits("xbar_s", pistonrings_phase_one)
    batch = standardize(limits, plotted_points("xbar_s", pistonrings))
    for i in (0, 25, 39):
        single = standardize(limits, plotted_points("xbar_s", pistonrings[i : i + 1]))
        assert single[0][0] == batch[0][i]
        assert single[1][0] == batch[1][i]


# --- limits given rather than estimated -----------------------------------------------------


def test_limits_from_a_known_sigma() -> None:
    limits = limits_from_sigma("xbar_r", 10.0, 2.0, 4)
    assert limits.sigma_method is None
    assert (limits.lcl, limits.ucl) == pytest.approx((7.0, 13.0))
    assert limits.dispersion_center == pytest.approx(2.0 * float(d2(4)))


# --- refusals -------------------------------------------------------------------------------


def test_default_sigma_methods_are_the_documented_ones(pistonrings: np.ndarray) -> None:
    assert estimate_limits("xbar_r", pistonrings).sigma_method == "r_bar"
    assert estimate_limits("xbar_s", pistonrings).sigma_method == "s_bar"
    assert estimate_limits("imr", pistonrings[:, 0]).sigma_method == "mr_bar"
    assert set(SIGMA_METHODS) == {
        "r_bar",
        "r_bar_mvlue",
        "s_bar",
        "s_bar_mvlue",
        "pooled_sd",
        "mr_bar",
        "mr_median",
    }


@pytest.mark.parametrize(
    ("chart_type", "values", "kwargs", "message"),
    [
        ("p", [[1.0, 2.0]], {}, "not a variables chart"),
        ("xbar_r", [[1.0, 2.0], [2.0, 4.0]], {"sigma_method": "mr_bar"}, "X̄ chart"),
        ("imr", [1.0, 2.0, 4.0], {"sigma_method": "r_bar"}, "I-MR"),
        ("xbar_r", [1.0, 2.0], {}, "2-D"),
        ("xbar_r", [[1.0, np.inf]], {}, "finite"),
        ("xbar_r", [[1.0, 2.0], [3.0, np.nan]], {}, "at least 2 values"),
        ("xbar_r", [[1.0, 2.0]], {"excluded": [True]}, "no subgroups left"),
        ("xbar_r", [[1.0, 2.0]], {"excluded": [True, False]}, "one entry per sample"),
        ("xbar_r", [[1.0, 1.0], [2.0, 2.0]], {}, "sigma must be a positive"),
        ("imr", [5.0], {}, "at least 2"),
    ],
)
def test_unusable_input_is_refused(
    chart_type: str, values: object, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        estimate_limits(chart_type, values, **kwargs)  # type: ignore[arg-type]
