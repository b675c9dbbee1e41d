"""The Westgard rules against hand-made examples and a plain-loop reference."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openspc_westgard import RULES

BY_KEY = {rule.key: rule for rule in RULES}

# --- the reference: one loop per point, each rule's wording taken literally -----------------


def _run(w: Sequence[float], limit: float) -> bool:
    return all(v > limit for v in w) or all(v < -limit for v in w)


def _r4s(w: Sequence[float], limit: float) -> bool:
    a, b = w
    beyond_opposite = (a > limit and b < -limit) or (a < -limit and b > limit)
    return beyond_opposite and abs(b - a) > 2 * limit


REFERENCE: dict[str, tuple[Callable[[dict[str, float]], int], Callable[..., bool]]] = {
    # key: (window length from the params, check of one window)
    "westgard.1_3s": (lambda p: 1, lambda w, p: abs(w[-1]) > p["limit"]),
    "westgard.2_2s": (lambda p: int(p["count"]), lambda w, p: _run(w, p["limit"])),
    "westgard.r_4s": (lambda p: 2, lambda w, p: _r4s(w, p["limit"])),
    "westgard.4_1s": (lambda p: int(p["count"]), lambda w, p: _run(w, p["limit"])),
    "westgard.10x": (lambda p: int(p["count"]), lambda w, p: _run(w, 0.0)),
}


def reference(key: str, series: Sequence[float], params: dict[str, float]) -> list[bool]:
    span, check = REFERENCE[key]
    size = span(params)
    return [
        i + 1 >= size and check(series[i + 1 - size : i + 1], params) for i in range(len(series))
    ]


def vectorized(key: str, series: Sequence[float], params: dict[str, float]) -> list[bool]:
    rule = BY_KEY[key]
    z = np.array(series, dtype=np.float64).reshape(1, -1)
    return rule.fire(z, np.array([len(series)]), rule.params(params))[0].tolist()


# --- examples ----------------------------------------------------------------------------------

EXAMPLES = [
    (
        [3.0, 3.01, -3.5, -3.0],
        {"westgard.1_3s": {1, 2}, "westgard.2_2s": {1, 3}, "westgard.r_4s": {2}},
    ),
    ([2.5, 2.1], {"westgard.2_2s": {1}}),
    ([2.5, 2.0, -2.1, -2.2, 2.3], {"westgard.2_2s": {3}, "westgard.r_4s": {4}}),  # 2.0 is on
    ([2.5, 0.0, -2.5], {}),  # R-4s wants neighbours
    ([2.1, -1.95], {}),  # 4.05 SD apart, but -1.95 is not beyond -2 SD
    ([1.5, 1.2, 1.1, 1.01], {"westgard.4_1s": {3}}),
    ([1.5, 1.2, 1.0, 1.1], {}),  # a point on the 1 SD line does not exceed it
    ([0.1] * 10, {"westgard.10x": {9}}),
    ([0.1] * 9 + [0.0], {}),
    ([-0.1] * 11, {"westgard.10x": {9, 10}}),
]


@pytest.mark.parametrize("implementation", [vectorized, reference])
@pytest.mark.parametrize(("series", "expected"), EXAMPLES)
def test_example(
    implementation: Callable[..., list[bool]], series: list[float], expected: dict[str, set[int]]
) -> None:
    for rule in RULES:
        fired = implementation(rule.key, series, dict(rule.params()))
        assert {i for i, hit in enumerate(fired) if hit} == expected.get(rule.key, set()), rule.key


def test_declarations() -> None:
    assert [r.key for r in RULES] == [
        "westgard.1_3s",
        "westgard.2_2s",
        "westgard.r_4s",
        "westgard.4_1s",
        "westgard.10x",
    ]
    assert {r.rule_id for r in RULES} == {0}
    assert [r.lookback(r.params()) for r in RULES] == [1, 2, 2, 4, 10]
    assert all(r.enabled_by_default_on == frozenset() for r in RULES)


# --- property: vectorized == reference --------------------------------------------------------


@st.composite
def rule_params(draw: st.DrawFn, key: str) -> dict[str, float]:
    params = dict(BY_KEY[key].params())
    if "count" in params:
        params["count"] = draw(st.integers(1, 12))
    if "limit" in params:
        params["limit"] = draw(st.sampled_from([0.5, 1.0, 2.0, 3.0]) | st.floats(0.1, 3.5))
    return params


def series_around(limit: float) -> st.SearchStrategy[list[float]]:
    """Series whose values sit on, just inside and beyond the limit lines and the mean."""
    multiples = [-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]
    near = st.sampled_from([m * limit for m in multiples])
    return st.lists(near | st.floats(-5.0, 5.0), max_size=40)


@pytest.mark.parametrize("key", list(BY_KEY))
@settings(max_examples=150, deadline=None)
@given(st.data())
def test_vectorized_equals_plain_loop(key: str, data: st.DataObject) -> None:
    params = data.draw(rule_params(key), label="params")
    series = data.draw(series_around(params.get("limit", 1.0)), label="series")
    assert vectorized(key, series, params) == reference(key, series, params)
