"""p, np, c and u charts against Montgomery's published examples and a plain-loop reference.

Montgomery, *Introduction to Statistical Quality Control* (6th ed.): orange-juice cans,
Example 7.1 (p chart: p̄ = 0.2313, UCL = 0.4102, LCL = 0.0524, samples 15 and 23 out);
circuit boards, Example 7.3 (c chart: c̄ = 19.85, UCL = 33.22, LCL = 6.48, units 6 and 20
out); personal computers, Example 7.4 (u chart: ū = 1.93, UCL = 3.79, LCL = 0.07). The book
computes with c̄ rounded to 19.85 (Δ = 0.004), so its c limits carry that rounding:
Δ·(1 ± 3/(2√c̄)), up to 0.0053.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openspc.stats import (
    attribute_band,
    attribute_limits,
    estimate_attribute_limits,
    plotted_attribute,
)

Data = tuple[np.ndarray, np.ndarray, np.ndarray]


def close(actual: float, printed: str, slack: float = 0.0) -> bool:
    """``actual`` rounds to the printed digits (plus ``slack``)."""
    half = 0.5 * 10.0 ** -len(printed.partition(".")[2])
    return abs(actual - float(printed)) <= half + slack


def beyond(chart_type, counts, sizes, limits) -> list[int]:  # type: ignore[no-untyped-def]
    """1-based samples whose z-score is beyond ±3 (Nelson rule 1)."""
    band = attribute_band(chart_type, limits.center_line, limits.sigma, sizes)
    return (
        np.flatnonzero(np.abs(band.z(plotted_attribute(chart_type, counts, sizes))) > 3) + 1
    ).tolist()


def test_orange_juice_p_chart(orangejuice: Data) -> None:
    counts, sizes, trial = orangejuice
    d, n = counts[trial], sizes[trial]
    assert len(d) == 30
    limits = estimate_attribute_limits("p", d, n, 50)
    assert close(limits.center_line, "0.2313")
    assert close(limits.ucl, "0.4102") and close(limits.lcl, "0.0524")
    assert limits.subgroup_count == 30 and limits.dispersion_center is None
    assert beyond("p", d, n, limits) == [15, 23]


def test_orange_juice_revised_p_chart_without_samples_15_and_23(orangejuice: Data) -> None:
    """Montgomery drops the two assignable-cause samples: p̄ = 0.2150, UCL = 0.3893,
    LCL = 0.0407; sample 21 is then beyond the UCL (he keeps it: no assignable cause)."""
    counts, sizes, trial = orangejuice
    excluded = np.zeros(30, dtype=bool)
    excluded[[14, 22]] = True
    limits = estimate_attribute_limits("p", counts[trial], sizes[trial], 50, excluded=excluded)
    assert close(limits.center_line, "0.2150")
    assert close(limits.ucl, "0.3893") and close(limits.lcl, "0.0407")
    assert limits.subgroup_count == 28


def test_orange_juice_np_chart_is_the_p_chart_times_n(orangejuice: Data) -> None:
    counts, sizes, trial = orangejuice
    p = estimate_attribute_limits("p", counts[trial], sizes[trial], 50)
    np_ = estimate_attribute_limits("np", counts[trial], sizes[trial], 50)
    assert np_.center_line == pytest.approx(50 * p.center_line)
    assert np_.ucl == pytest.approx(50 * p.ucl) and np_.lcl == pytest.approx(50 * p.lcl)
    assert beyond("np", counts[trial], sizes[trial], np_) == [15, 23]


def test_np_chart_has_one_sample_size() -> None:
    with pytest.raises(ValueError, match="one sample size"):
        estimate_attribute_limits("np", [3, 4], [50, 60], 50)


def test_circuit_board_c_chart(circuit: Data) -> None:
    counts, sizes, trial = circuit
    c = counts[trial]
    assert len(c) == 26
    limits = estimate_attribute_limits("c", c, sizes[trial], 1)
    book_rounding = 0.004 * (1 + 3 / (2 * math.sqrt(19.85)))
    assert close(limits.center_line, "19.85")
    assert close(limits.ucl, "33.22", book_rounding) and close(limits.lcl, "6.48", book_rounding)
    assert beyond("c", c, sizes[trial], limits) == [6, 20]


def test_personal_computer_u_chart(pcmanufact: tuple[np.ndarray, np.ndarray]) -> None:
    counts, sizes = pcmanufact
    limits = estimate_attribute_limits("u", counts, sizes, 5)
    assert close(limits.center_line, "1.93")
    assert close(limits.ucl, "3.79", 0.005) and close(limits.lcl, "0.07", 0.005)
    assert beyond("u", counts, sizes, limits) == []


def test_lower_limit_is_clipped_at_zero_and_p_upper_at_one() -> None:
    band = attribute_band("p", 0.3, math.sqrt(0.3 * 0.7), [2.0, 400.0])
    assert band.lcl[0] == 0.0 and band.ucl[0] == 1.0
    assert 0.0 < band.lcl[1] < 0.3 < band.ucl[1] < 1.0
    c = attribute_limits("c", 2.0, 1)
    assert c.lcl == 0.0 and c.ucl == pytest.approx(2 + 3 * math.sqrt(2))


@pytest.mark.parametrize(
    ("chart_type", "counts", "sizes", "message"),
    [
        ("p", [0, 0, 0], [50, 50, 50], "strictly between 0 and 1"),
        ("p", [50, 50], [50, 50], "strictly between 0 and 1"),
        ("c", [0, 0], [1, 1], "average count must be > 0"),
        ("u", [1.5], [2], "whole numbers"),
        ("u", [-1], [2], "whole numbers"),
        ("p", [1], [0], "sizes must be > 0"),
        ("xbar_r", [1], [2], "not an attribute chart"),
    ],
)
def test_unusable_input_is_refused(chart_type, counts, sizes, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        estimate_attribute_limits(chart_type, counts, sizes, 1)


# --- against a plain-loop reference ---------------------------------------------------------


def reference(
    chart_type: str, counts: list[int], sizes: list[int]
) -> tuple[float, list[tuple[float, float, float]]]:
    """Center and per-point (UCL, LCL, z) by the textbook formulas, one point at a time."""
    center = sum(counts) / len(counts) if chart_type == "c" else sum(counts) / sum(sizes)
    points = []
    for count, size in zip(counts, sizes, strict=True):
        if chart_type == "p":
            value, sd, mid = count / size, math.sqrt(center * (1 - center) / size), center
        elif chart_type == "np":
            value, sd, mid = count, math.sqrt(size * center * (1 - center)), size * center
        elif chart_type == "c":
            value, sd, mid = count, math.sqrt(center), center
        else:
            value, sd, mid = count / size, math.sqrt(center / size), center
        upper = mid + 3 * sd
        if chart_type == "p":
            upper = min(upper, 1.0)
        if chart_type == "np":
            upper = min(upper, size)
        points.append((upper, max(0.0, mid - 3 * sd), (value - mid) / sd))
    return (center * sizes[0] if chart_type == "np" else center), points


@st.composite
def attribute_samples(draw: st.DrawFn) -> tuple[str, list[int], list[int]]:
    chart_type = draw(st.sampled_from(["p", "np", "c", "u"]))
    k = draw(st.integers(2, 30))
    fixed = draw(st.integers(1, 200))
    sizes = (
        [fixed] * k
        if chart_type in ("np", "c")
        else draw(st.lists(st.integers(1, 200), min_size=k, max_size=k))
    )
    counts = [draw(st.integers(0, size if chart_type in ("p", "np") else 60)) for size in sizes]
    return chart_type, counts, sizes


@given(attribute_samples())
def test_vectorized_limits_and_z_equal_the_plain_loop(
    sample: tuple[str, list[int], list[int]],
) -> None:
    chart_type, counts, sizes = sample
    try:
        center, points = reference(chart_type, counts, sizes)
        limits = estimate_attribute_limits(chart_type, counts, sizes, sizes[0])  # type: ignore[arg-type]
    except (ValueError, ZeroDivisionError):
        rate = sum(counts) / sum(sizes) if chart_type != "c" else sum(counts) / len(counts)
        assert rate == 0 or (chart_type in ("p", "np") and rate == 1)
        return
    band = attribute_band(chart_type, limits.center_line, limits.sigma, sizes)  # type: ignore[arg-type]
    z = band.z(plotted_attribute(chart_type, counts, sizes))  # type: ignore[arg-type]
    assert limits.center_line == pytest.approx(center, rel=1e-12)
    for i, (upper, lower, z_ref) in enumerate(points):
        assert band.ucl[i] == pytest.approx(upper, rel=1e-12, abs=1e-12)
        assert band.lcl[i] == pytest.approx(lower, rel=1e-12, abs=1e-12)
        assert z[i] == pytest.approx(z_ref, rel=1e-9, abs=1e-9)
