"""Properties every limit calculation must have, on generated data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from openspc.stats import (
    ChartType,
    ControlLimits,
    SigmaMethod,
    estimate_limits,
    plotted_points,
    standardize,
    subgroup_stats,
)
from openspc.stats.sigma import INDIVIDUALS_SIGMA_METHODS, SUBGROUP_SIGMA_METHODS

# Measurements on a 0.001 grid around 50, like a gauge reading: realistic, and never so close
# together that rounding in the subtraction decides the result.
readings = st.integers(min_value=-5000, max_value=5000).map(lambda i: 50.0 + i / 1000)


@st.composite
def subgroups(draw: st.DrawFn) -> np.ndarray:
    """A NaN-padded [k, m] array; every row has 2..m values, at least one row has spread."""
    k = draw(st.integers(min_value=2, max_value=30))
    m = draw(st.integers(min_value=2, max_value=8))
    values = draw(hnp.arrays(np.float64, (k, m), elements=readings))
    sizes = draw(hnp.arrays(np.int64, k, elements=st.integers(min_value=2, max_value=m)))
    values[np.arange(m)[None, :] >= sizes[:, None]] = np.nan
    assume(np.nanmax(np.nanmax(values, axis=1) - np.nanmin(values, axis=1)) > 0)
    return values


@st.composite
def individuals(draw: st.DrawFn) -> np.ndarray:
    """Individual values whose moving ranges are mostly non-zero (else the median MR is 0)."""
    values = draw(hnp.arrays(np.float64, st.integers(min_value=3, max_value=60), elements=readings))
    assume(np.median(np.abs(np.diff(values))) > 0)
    return values


SUBGROUP_CHARTS: tuple[ChartType, ...] = ("xbar_r", "xbar_s")
subgroup_charts = st.sampled_from(SUBGROUP_CHARTS)
subgroup_methods = st.sampled_from(SUBGROUP_SIGMA_METHODS)
individuals_methods = st.sampled_from(INDIVIDUALS_SIGMA_METHODS)


def assert_same_limits(actual: ControlLimits, expected: ControlLimits) -> None:
    for field in dataclasses.fields(ControlLimits):
        got, want = getattr(actual, field.name), getattr(expected, field.name)
        if isinstance(want, float):
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12), field.name
        else:
            assert got == want, field.name


@given(values=subgroups(), chart=subgroup_charts, method=subgroup_methods, data=st.data())
def test_order_of_subgroups_does_not_matter(
    values: np.ndarray, chart: ChartType, method: SigmaMethod, data: st.DataObject
) -> None:
    order = data.draw(st.permutations(range(len(values))))
    assert_same_limits(
        estimate_limits(chart, values[list(order)], sigma_method=method),
        estimate_limits(chart, values, sigma_method=method),
    )


@given(values=subgroups(), chart=subgroup_charts, data=st.data())
def test_order_and_padding_within_a_subgroup_do_not_matter(
    values: np.ndarray, chart: ChartType, data: st.DataObject
) -> None:
    shuffled = np.array([data.draw(st.permutations(list(row))) for row in values])
    padded = np.hstack([shuffled, np.full((len(values), 2), np.nan)])
    assert_same_limits(estimate_limits(chart, padded), estimate_limits(chart, values))


@given(values=individuals(), method=individuals_methods)
def test_individuals_limits_do_not_depend_on_the_direction_of_time(
    values: np.ndarray, method: SigmaMethod
) -> None:
    assert_same_limits(
        estimate_limits("imr", values[::-1], sigma_method=method),
        estimate_limits("imr", values, sigma_method=method),
    )


@given(
    values=subgroups(),
    chart=subgroup_charts,
    scale=st.floats(min_value=1e-3, max_value=1e3),
    shift=st.floats(min_value=-1e4, max_value=1e4),
)
def test_limits_follow_a_change_of_units(
    values: np.ndarray, chart: ChartType, scale: float, shift: float
) -> None:
    base = estimate_limits(chart, values)
    moved = estimate_limits(chart, values * scale + shift)
    location = ("center_line", "ucl", "lcl")
    spread = ("sigma", "dispersion_center", "dispersion_ucl", "dispersion_lcl")
    for name in location:
        expected = getattr(base, name) * scale + shift
        assert getattr(moved, name) == pytest.approx(expected, rel=1e-9, abs=1e-9 * scale), name
    for name in spread:
        expected = getattr(base, name) * scale
        assert getattr(moved, name) == pytest.approx(expected, rel=1e-9, abs=1e-12), name


@given(values=subgroups(), chart=subgroup_charts, scale=st.floats(min_value=1e-2, max_value=1e2))
def test_z_scores_do_not_depend_on_units(
    values: np.ndarray, chart: ChartType, scale: float
) -> None:
    def scores(data: np.ndarray) -> np.ndarray:
        limits = estimate_limits(chart, data)
        return np.concatenate(standardize(limits, plotted_points(chart, data)))

    np.testing.assert_allclose(scores(values * scale - 7.0), scores(values), rtol=1e-7, atol=1e-7)


@given(values=subgroups(), chart=subgroup_charts, method=subgroup_methods, data=st.data())
def test_excluded_subgroups_count_as_removed(
    values: np.ndarray, chart: ChartType, method: SigmaMethod, data: st.DataObject
) -> None:
    excluded = data.draw(hnp.arrays(np.bool_, len(values)))
    kept = values[~excluded]
    assume(kept.size and np.nanmax(np.nanmax(kept, axis=1) - np.nanmin(kept, axis=1)) > 0)
    assert_same_limits(
        estimate_limits(chart, values, excluded=excluded, sigma_method=method),
        estimate_limits(chart, kept, sigma_method=method),
    )


@given(values=individuals(), data=st.data())
def test_excluded_individuals_count_as_removed(values: np.ndarray, data: st.DataObject) -> None:
    excluded = data.draw(hnp.arrays(np.bool_, len(values)))
    kept = values[~excluded]
    assume(kept.size >= 2 and np.ptp(kept) > 0)
    assert_same_limits(
        estimate_limits("imr", values, excluded=excluded), estimate_limits("imr", kept)
    )


@settings(max_examples=50)
@given(values=subgroups())
def test_subgroup_stats_match_numpy_per_row(values: np.ndarray) -> None:
    stats = subgroup_stats(values)
    for i, row in enumerate(values):
        present = row[~np.isnan(row)]
        assert stats.n[i] == present.size
        assert stats.mean[i] == pytest.approx(present.mean(), rel=1e-14)
        assert stats.range[i] == pytest.approx(np.ptp(present), rel=1e-14, abs=1e-15)
        assert stats.std[i] == pytest.approx(present.std(ddof=1), rel=1e-12, abs=1e-15)
