"""The conformance suite catches broken rules: each mutant below breaks one promise."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pydantic import BaseModel

from openspc.rules import (
    CountArray,
    FireArray,
    Rule,
    ZArray,
    rolling_count,
    valid_mask,
    window_complete,
)
from openspc.testing.rules import CHECKS, check_rule_conformance, run_check

K = 5


def run_of_positives(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    """A correct rule: K points in a row above the center line."""
    return (rolling_count(z > 0, K) == K) & window_complete(n, z.shape[1], K)


GOOD = Rule(
    key="test.run",
    name="Run",
    description="K in a row above the center line.",
    evaluate=run_of_positives,
    lookback=lambda params: K,
)


def mutant(**changes: object) -> Rule:
    return dataclasses.replace(GOOD, **changes)  # type: ignore[arg-type]


def fires_on_padding(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    return np.abs(z) > 3


def counts_what_is_there(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    """Counts padding as if it were points (masks only the flagged point)."""
    return (rolling_count(z > 0, K) == K) & valid_mask(n, z.shape[1])


def peeks_ahead(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    out = np.zeros(z.shape, dtype=np.bool_)
    out[:, :-1] = z[:, 1:] > 2
    return out & valid_mask(n, z.shape[1])


def mutates(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    out = run_of_positives(z, n, params)
    z[:, 0] = 0.0
    return out


def returns_ints(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    return run_of_positives(z, n, params).astype(np.int8)  # type: ignore[return-value]


def random_firing(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    return run_of_positives(z, n, params) & (np.random.default_rng().random(z.shape) < 0.5)


def leaks_across_rows(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    """Counts over the flattened array, so one row's tail completes the next row's run."""
    flat = rolling_count((z > 0).reshape(1, -1), K).reshape(z.shape)
    return (flat == K) & valid_mask(n, z.shape[1])


def never_fires(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    return np.zeros(z.shape, dtype=np.bool_)


class NoDefault(BaseModel):
    k: int


MUTANTS = [
    ("never_fires_on_padding", mutant(evaluate=fires_on_padding)),
    ("short_rows_never_fire", mutant(evaluate=counts_what_is_there)),
    ("padding_does_not_matter", mutant(evaluate=counts_what_is_there)),
    ("lookback_is_enough", mutant(lookback=lambda params: K - 1)),
    ("lookback_is_enough", mutant(evaluate=peeks_ahead, lookback=lambda params: 1)),
    ("streaming_equals_batch", mutant(evaluate=peeks_ahead, lookback=lambda params: 1)),
    ("does_not_mutate_input", mutant(evaluate=mutates)),
    ("output_shape_and_dtype", mutant(evaluate=returns_ints)),
    ("deterministic", mutant(evaluate=random_firing)),
    ("rows_are_independent", mutant(evaluate=leaks_across_rows)),
    ("fires_on_generated_data", mutant(evaluate=never_fires)),
    ("declaration", mutant(enabled_by_default_on=frozenset({"dispersion"}))),
    ("declaration", mutant(key="No Dots")),
    ("declaration", mutant(lookback=lambda params: 0)),
    ("params_have_defaults", mutant(params_model=NoDefault)),
]


def test_a_correct_rule_passes() -> None:
    check_rule_conformance(GOOD)


@pytest.mark.parametrize(("check", "rule"), MUTANTS, ids=[m[0] for m in MUTANTS])
def test_the_check_catches_the_mutant(check: str, rule: Rule) -> None:
    with pytest.raises(AssertionError):
        run_check(check, rule, params={"k": 3} if rule.params_model is NoDefault else None)
    with pytest.raises(AssertionError, match=check):
        check_rule_conformance(rule)


def test_skip_and_unknown_names() -> None:
    check_rule_conformance(mutant(evaluate=never_fires), skip=["fires_on_generated_data"])
    with pytest.raises(ValueError, match="unknown checks"):
        check_rule_conformance(GOOD, skip=["no_such_check"])
    assert "streaming_equals_batch" in CHECKS
