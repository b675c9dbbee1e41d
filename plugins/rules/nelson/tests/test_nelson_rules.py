"""The Nelson rules against the spec: declarations, worked examples, zone lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
from openspc_nelson import RULES, reference
from pydantic import ValidationError

Firing = dict[int, set[int]]
BY_ID = {rule.rule_id: rule for rule in RULES}
NEXT_UP = np.nextafter  # the closest float beyond a zone line


def vectorized(series: Sequence[float]) -> Firing:
    z = np.array([series], dtype=np.float64)
    n = np.array([len(series)], dtype=np.int64)
    return {rule.rule_id: set(np.flatnonzero(rule.fire(z, n)[0]).tolist()) for rule in RULES}


def plain_loop(series: Sequence[float]) -> Firing:
    return {
        rule_id: {i for i, hit in enumerate(reference.fires(rule_id, series)) if hit}
        for rule_id in range(1, 9)
    }


IMPLEMENTATIONS = pytest.mark.parametrize("firing", [vectorized, plain_loop])


# --- declarations ----------------------------------------------------------------------------

ALL = {"location", "dispersion", "attribute", "time_weighted"}
RUNS = {"location", "dispersion", "attribute"}
ZONES = {"location", "attribute"}
LOC = {"location"}

DECLARED = [
    # id, name, severity, default K, lookback(K=5), sided, applies_to, enabled_by_default_on
    (1, "Beyond limits", "CRITICAL", 3.0, 1, True, ALL, ALL),
    (2, "Shift", "WARNING", 9, 5, True, RUNS, ZONES),
    (3, "Trend", "WARNING", 6, 5, False, RUNS, ZONES),
    (4, "Alternating", "WARNING", 14, 5, False, RUNS, ZONES),
    (5, "2 of 3 beyond 2 sigma", "WARNING", 2, 6, True, ZONES, LOC),
    (6, "4 of 5 beyond 1 sigma", "WARNING", 4, 6, True, ZONES, LOC),
    (7, "Stratification", "WARNING", 15, 5, False, ZONES, LOC),
    (8, "Mixture", "WARNING", 8, 5, False, ZONES, LOC),
]


def test_eight_rules_in_order() -> None:
    assert [(r.key, r.rule_id) for r in RULES] == [(f"nelson.{i}", i) for i in range(1, 9)]


@pytest.mark.parametrize(
    ("rule_id", "name", "severity", "k", "lookback_5", "sided", "applies", "enabled"), DECLARED
)
def test_declaration(
    rule_id: int,
    name: str,
    severity: str,
    k: float,
    lookback_5: int,
    sided: bool,
    applies: set[str],
    enabled: set[str],
) -> None:
    rule = BY_ID[rule_id]
    assert (rule.name, rule.default_severity, rule.sided) == (name, severity, sided)
    assert (rule.applies_to, rule.enabled_by_default_on) == (applies, enabled)
    assert rule.params().k == k == reference.DEFAULT_K[rule_id]
    assert rule.lookback(rule.params()) == reference.window_length(rule_id, k)
    assert rule.lookback(rule.params({"k": 5})) == lookback_5
    assert rule.description


@pytest.mark.parametrize(
    ("rule_id", "bad"),
    [(1, 0.0), (1, -3.0), (2, 0), (3, 1), (4, 2), (5, 0), (6, 0), (7, 0), (8, 1), (2, "nine")],
)
def test_params_are_validated(rule_id: int, bad: object) -> None:
    with pytest.raises(ValidationError):
        BY_ID[rule_id].params({"k": bad})


# --- worked examples (shared/spec/nelson-rules.md) -------------------------------------------

WORKED = [
    ([3.0, 0, 0, 3.0001, 0, 0, -3.2], {1: {3, 6}}),
    ([0.5] * 9, {2: {8}}),
    ([0.5] * 10, {2: {8, 9}}),
    ([0.5] * 4 + [0] + [0.5] * 9, {2: {13}}),
    ([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], {3: {5}}),
    ([0.1, 0.2, 0.3, 0.3, 0.4, 0.5, 0.6], {}),
    ([2.5, 0.1, 2.6], {5: {2}}),
    ([2.5, 2.6, 0.1], {}),
    ([1.5] * 8, {6: {4, 5, 6, 7}}),
    ([-1.5, 1.5] * 4, {8: {7}}),
    ([0.5, -0.5] * 8, {4: {13, 14, 15}, 7: {14, 15}}),
]


@IMPLEMENTATIONS
@pytest.mark.parametrize(("series", "expected"), WORKED)
def test_worked_example(
    firing: Callable[[Sequence[float]], Firing], series: list[float], expected: Firing
) -> None:
    """Exactly the listed points fire, and nothing else fires."""
    assert firing(series) == {i: expected.get(i, set()) for i in range(1, 9)}


# --- zone lines and other edges --------------------------------------------------------------

EDGES = [
    # rule, series, firing points: a point on a line belongs to the inner zone
    (1, [3.0, -3.0, NEXT_UP(3.0, 4.0), NEXT_UP(-3.0, -4.0)], {2, 3}),
    (2, [0.0] * 9, set()),
    (2, [-0.5] * 9, {8}),
    (2, [5e-324] * 9, {8}),  # the smallest positive float is above the center line
    (2, [0.5] * 8 + [-0.5] * 9, {16}),
    (3, [-0.1, -0.0, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5], {7}),  # -0.0 == 0.0 is a tie
    (3, [0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0], {5, 6}),
    (
        4,
        [0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0] + [0.0, 1.0] * 7,
        {18, 19, 20},
    ),  # a zero step breaks it
    (5, [2.0, 0, 2.5], set()),
    (5, [NEXT_UP(2.0, 3.0), 0, 2.5], {2}),
    (5, [-2.5, 0, -2.0], set()),
    (5, [3.5, 0, 3.5], {2}),  # points beyond 3 sigma count
    (5, [2.5, 0, -2.5], set()),  # one side at a time
    (6, [1.0] * 5, set()),
    (6, [1.5, 1.5, 1.5, 1.0, 1.5], {4}),
    (6, [1.5, 1.5, 1.0, 1.0, 1.5], set()),
    (6, [-1.5, -1.5, -1.5, 2.5, -1.5], {4}),
    (7, [1.0, -1.0] * 8, {14, 15}),
    (7, [1.0] * 14 + [NEXT_UP(1.0, 2.0)], set()),
    (8, [-1.0, 1.5] * 4, set()),
    (8, [NEXT_UP(-1.0, -2.0), 1.5] * 4, {7}),
    (8, [1.5] * 7 + [-1.5], {7}),
]


@IMPLEMENTATIONS
@pytest.mark.parametrize(("rule_id", "series", "expected"), EDGES)
def test_edge(
    firing: Callable[[Sequence[float]], Firing],
    rule_id: int,
    series: list[float],
    expected: set[int],
) -> None:
    assert firing(series)[rule_id] == expected


def test_padding_and_other_rows_do_not_contribute() -> None:
    """A row's short history next to long rows, with padding that would complete patterns."""
    z = np.array([[5.0] * 3 + [0.5] * 8, [0.5] * 11])
    n = np.array([8, 11])
    shift = BY_ID[2].fire(z, n)
    assert not shift[0].any()
    assert np.flatnonzero(shift[1]).tolist() == [8, 9, 10]
    assert np.flatnonzero(BY_ID[1].fire(z, n)[0]).tolist() == []
