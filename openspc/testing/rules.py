"""The rule conformance suite: checks every rule plugin runs on its own rules.

They prove what the engine relies on (``openspc/rules.py``): the declaration is sound, the
function is pure and deterministic, padding never matters, short rows never fire, the declared
lookback is enough, and feeding points one by one through a window gives the batch result.

Call it from a test::

    from openspc.testing.rules import check_rule_conformance

    def test_conformance():
        check_rule_conformance(MY_RULE, params={"k": 5})

or let pytest make one test per (rule, parameter set, check)::

    from openspc.testing.rules import RuleConformance

    class TestMyRules(RuleConformance):
        rules = (MY_RULE,)
        param_sets = {"my.rule": ({"k": 5},)}  # the defaults are always checked too

The data are seeded NumPy draws (no Hypothesis needed): series stitched from in-control noise,
shifts, trends, alternation, stratification, mixture and values exactly on the zone lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from pydantic import BaseModel, ValidationError

from openspc.rules import CHART_FAMILIES, CountArray, FireArray, Rule, ZArray, valid_mask

if TYPE_CHECKING:
    import pytest

__all__ = [
    "CHECKS",
    "Case",
    "RuleConformance",
    "check_rule_conformance",
    "make_case",
    "random_padding",
    "random_rows",
    "random_series",
    "run_check",
]

#: Width of the engine's window store by default (``DESIGN.md``): streaming is checked with it.
ENGINE_WINDOW = 25

LEVELS = np.arange(-3.5, 3.75, 0.5)  # every zone line and every zone middle, both sides
KEY_PATTERN = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


# --- data ------------------------------------------------------------------------------------


def random_series(rng: np.random.Generator, length: int) -> ZArray:
    """One series of z-scores stitched from the patterns control charts look for."""
    parts: list[ZArray] = [np.empty(0)]
    total = 0
    while total < length:
        size = int(rng.integers(1, 21))
        level = float(rng.choice(LEVELS))
        steps = np.arange(size, dtype=np.float64)
        kind = int(rng.integers(7))
        if kind == 0:  # common-cause noise, sometimes wide
            part = rng.normal(0.0, float(rng.choice([0.5, 1.0, 2.0])), size)
        elif kind == 1:  # shift, exactly on a level half of the time
            part = level + rng.normal(0.0, 0.3, size) * int(rng.integers(2))
        elif kind == 2:  # trend on the half-sigma grid (lands on zone lines)
            part = level + float(rng.choice([-0.5, -0.25, 0.25, 0.5])) * steps
        elif kind == 3:  # alternation around a level
            part = level + float(rng.choice([0.5, 1.5])) * (-1.0) ** steps
        elif kind == 4:  # grid values: zone lines, ties
            part = rng.choice(LEVELS, size)
        elif kind == 5:  # stratification: hugging the center line
            part = rng.uniform(-1.0, 1.0, size)
        else:  # mixture: both sides, nothing near the center
            part = rng.choice([-2.5, -2.0, -1.5, 1.5, 2.0, 2.5, 3.0], size)
        parts.append(np.asarray(part, dtype=np.float64))
        total += size
    return np.concatenate(parts)[:length]


def random_padding(rng: np.random.Generator, shape: tuple[int, ...]) -> ZArray:
    """Finite junk for padding columns: large values, zone lines and noise."""
    junk = np.concatenate([LEVELS, [-1e6, 1e6, 7.0, -7.0]])
    return np.where(rng.random(shape) < 0.5, rng.choice(junk, shape), rng.normal(0, 3, shape))


def random_rows(
    rng: np.random.Generator, rows: int, width: int, lookback: int
) -> tuple[ZArray, CountArray]:
    """A right-aligned batch: valid counts from 0 through short (< lookback) to full."""
    special = rng.choice([0, lookback - 1, lookback, width], rows)
    anywhere = rng.integers(0, width + 1, rows)
    n = np.minimum(np.where(rng.random(rows) < 0.4, special, anywhere), width).astype(np.int64)
    z = random_padding(rng, (rows, width))
    for r in range(rows):
        z[r, width - n[r] :] = random_series(rng, int(n[r]))
    return z, n


# --- the checks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One rule with one parameter set, and the random batch its checks run on."""

    rule: Rule
    params: BaseModel
    lookback: int
    z: ZArray
    n: CountArray
    seed: int

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed + 1)

    def fire(self, z: ZArray, n: CountArray) -> FireArray:
        """Evaluate on copies, so that a rule that writes into its input spoils no other check."""
        return self.rule.evaluate(z.copy(), n.copy(), self.params)


def make_case(
    rule: Rule, params: BaseModel | Mapping[str, Any] | None, examples: int, seed: int
) -> Case:
    if isinstance(params, BaseModel):
        model = params
    else:
        try:
            model = rule.params(dict(params or {}))
        except ValidationError as exc:
            what = f"parameters {params!r} do not validate" if params else "params_have_defaults"
            raise AssertionError(f"{rule.key}: {what}: {exc}") from exc
    lookback = rule.lookback(model)
    if not isinstance(lookback, int) or lookback < 1:
        raise AssertionError(f"{rule.key}: declaration: lookback {lookback!r} is not an int >= 1")
    width = max(3 * lookback, 30)
    z, n = random_rows(np.random.default_rng(seed), examples, width, lookback)
    return Case(rule, model, lookback, z, n, seed)


def _differences(case: Case, expected: FireArray, got: FireArray, what: str) -> None:
    """Fail with the first cell where ``got`` differs from ``expected`` on valid points."""
    differs = (expected != got) & valid_mask(case.n, case.z.shape[1])
    if differs.any():
        r, c = (int(i) for i in np.argwhere(differs)[0])
        first = case.z.shape[1] - int(case.n[r])
        raise AssertionError(
            f"{case.rule.key} {case.params!r}: {what} at row {r}, point {c - first} "
            f"(expected {bool(expected[r, c])}, got {bool(got[r, c])}); "
            f"row = {case.z[r, first:].tolist()}"
        )


def check_declaration(case: Case) -> None:
    """Key, name, severity and chart families are well-formed (``make_case`` checked the
    lookback)."""
    rule = case.rule
    assert KEY_PATTERN.match(rule.key), f"key {rule.key!r} is not like 'plugin.rule'"
    assert rule.name, f"{rule.key}: empty name"
    assert rule.default_severity in ("WARNING", "CRITICAL"), f"{rule.key}: bad severity"
    assert rule.applies_to and rule.applies_to <= set(CHART_FAMILIES), (
        f"{rule.key}: applies_to must be a non-empty subset of {CHART_FAMILIES}"
    )
    assert rule.enabled_by_default_on <= rule.applies_to, (
        f"{rule.key}: enabled by default on a chart family it does not apply to"
    )


def check_params_have_defaults(case: Case) -> None:
    """The parameter model builds from nothing, and its JSON Schema (the UI form) exists."""
    model = case.rule.params_model
    try:
        default = model()
    except Exception as exc:  # any failure here means a field lacks a default
        raise AssertionError(f"{case.rule.key}: {model.__name__}() needs defaults: {exc}") from exc
    assert case.rule.params() == default, f"{case.rule.key}: params() differs from the defaults"
    model.model_json_schema()


def check_output_shape_and_dtype(case: Case) -> None:
    out = case.fire(case.z, case.n)
    assert isinstance(out, np.ndarray), f"{case.rule.key}: returned {type(out).__name__}"
    assert out.dtype == np.bool_, f"{case.rule.key}: returned dtype {out.dtype}, not bool"
    assert out.shape == case.z.shape, f"{case.rule.key}: shape {out.shape} != {case.z.shape}"


def check_deterministic(case: Case) -> None:
    """Same input → same output."""
    first = case.fire(case.z, case.n)
    _differences(case, first, case.fire(case.z, case.n), "a second call differs")


def check_does_not_mutate_input(case: Case) -> None:
    z, n = case.z.copy(), case.n.copy()
    z.flags.writeable = False  # an in-place write raises instead of passing silently
    n.flags.writeable = False
    try:
        case.rule.evaluate(z, n, case.params)
    except ValueError as exc:
        if "read-only" not in str(exc):
            raise
        raise AssertionError(f"{case.rule.key}: writes into its input ({exc})") from exc
    assert np.array_equal(z, case.z) and np.array_equal(n, case.n), f"{case.rule.key}: mutated"


def check_never_fires_on_padding(case: Case) -> None:
    out = case.fire(case.z, case.n)
    leaked = out & ~valid_mask(case.n, case.z.shape[1])
    assert not leaked.any(), f"{case.rule.key}: fired on padding at {np.argwhere(leaked)[0]}"


def check_short_rows_never_fire(case: Case) -> None:
    """Rows with fewer points than the lookback (n = 0 included) never fire, in arrays of any
    width, including narrower than the lookback."""
    rng = case.rng()
    for width in sorted({1, max(case.lookback - 1, 1), case.lookback + 3}):
        z, n = random_rows(rng, 50, width, case.lookback)
        n = np.minimum(n, case.lookback - 1)
        out = case.fire(z, n)
        assert not out.any(), (
            f"{case.rule.key}: fired on a row of {int(n[np.argwhere(out)[0][0]])} points, "
            f"fewer than its lookback {case.lookback} (array width {width})"
        )


def check_padding_does_not_matter(case: Case) -> None:
    """Other padding values, or more padding columns, give the same firings."""
    rng = case.rng()
    expected = case.fire(case.z, case.n)
    valid = valid_mask(case.n, case.z.shape[1])
    other = np.where(valid, case.z, random_padding(rng, case.z.shape))
    _differences(case, expected, case.fire(other, case.n), "new padding values change it")
    extra = int(rng.integers(1, 2 * case.lookback + 2))
    wider = np.concatenate([random_padding(rng, (case.z.shape[0], extra)), case.z], axis=1)
    _differences(case, expected, case.fire(wider, case.n)[:, extra:], "more padding changes it")


def check_rows_are_independent(case: Case) -> None:
    """Each row alone gives what it gives in the batch (no leaks between rows)."""
    expected = case.fire(case.z, case.n)
    alone = np.vstack([case.fire(case.z[r : r + 1], case.n[r : r + 1]) for r in range(len(case.n))])
    _differences(case, expected, alone, "evaluating the row alone changes it")


def check_lookback_is_enough(case: Case) -> None:
    """The window of exactly ``lookback`` points ending at a point decides that point."""
    rng = case.rng()
    rows, width = case.z.shape
    lb = case.lookback
    r, c = np.nonzero(valid_mask(case.n, width))
    padded = np.concatenate([np.zeros((rows, lb - 1)), case.z], axis=1)
    windows = sliding_window_view(padded, lb, axis=1)[r, c].copy()  # window ending at (r, c)
    counts = np.minimum(lb, c - (width - case.n[r]) + 1).astype(np.int64)
    junk = ~valid_mask(counts, lb)
    windows[junk] = random_padding(rng, windows.shape)[junk]
    got = np.zeros_like(case.z, dtype=np.bool_)
    got[r, c] = case.fire(windows, counts)[:, -1]
    _differences(case, case.fire(case.z, case.n), got, "the lookback window disagrees")


def check_streaming_equals_batch(case: Case) -> None:
    """Append points one at a time to a window store of the engine's width; the last column
    of each evaluation equals the batch result at that point."""
    rows, width = case.z.shape
    store = max(ENGINE_WINDOW, case.lookback)
    window = random_padding(case.rng(), (rows, store))
    count = np.zeros(rows, dtype=np.int64)
    got = np.zeros_like(case.z, dtype=np.bool_)
    for c in range(width):
        arrived = c >= width - case.n  # rows that have a point at column c
        window[arrived, :-1] = window[arrived, 1:]
        window[arrived, -1] = case.z[arrived, c]
        count[arrived] = np.minimum(count[arrived] + 1, store)
        got[arrived, c] = case.fire(window, count)[arrived, -1]
    _differences(case, case.fire(case.z, case.n), got, "streaming differs from batch")


def check_fires_on_generated_data(case: Case) -> None:
    """Guard against vacuous passes: the data above must make the rule fire somewhere."""
    assert case.fire(case.z, case.n).any(), (
        f"{case.rule.key} {case.params!r} never fired on {len(case.n)} generated rows, so the "
        "other checks prove little; skip this check only for rules the patterns cannot trigger"
    )


CHECKS: Mapping[str, Callable[[Case], None]] = {
    check.__name__.removeprefix("check_"): check
    for check in (
        check_declaration,
        check_params_have_defaults,
        check_output_shape_and_dtype,
        check_deterministic,
        check_does_not_mutate_input,
        check_never_fires_on_padding,
        check_short_rows_never_fire,
        check_padding_does_not_matter,
        check_rows_are_independent,
        check_lookback_is_enough,
        check_streaming_equals_batch,
        check_fires_on_generated_data,
    )
}


# --- entry points ----------------------------------------------------------------------------


def run_check(
    name: str,
    rule: Rule,
    *,
    params: BaseModel | Mapping[str, Any] | None = None,
    examples: int = 200,
    seed: int = 0,
) -> None:
    """Run one named check of :data:`CHECKS`; raises ``AssertionError`` on failure."""
    CHECKS[name](make_case(rule, params, examples, seed))


def check_rule_conformance(
    rule: Rule,
    *,
    params: BaseModel | Mapping[str, Any] | None = None,
    examples: int = 200,
    seed: int = 0,
    skip: Iterable[str] = (),
) -> None:
    """Run every check on ``rule`` (with ``params``, default: the model's defaults) over
    ``examples`` random rows; raise one ``AssertionError`` listing every failure."""
    unknown = set(skip) - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown checks {sorted(unknown)}; known: {sorted(CHECKS)}")
    case = make_case(rule, params, examples, seed)
    failures = []
    for name, check in CHECKS.items():
        if name in skip:
            continue
        try:
            check(case)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    if failures:
        raise AssertionError("\n".join(failures))


class RuleConformance:
    """Subclass it as ``Test…`` and set ``rules``; pytest runs every check on every rule, with
    the defaults and with each extra parameter set in ``param_sets`` (by rule key)."""

    rules: ClassVar[Sequence[Rule]] = ()
    param_sets: ClassVar[Mapping[str, Sequence[Mapping[str, Any]]]] = {}
    skip: ClassVar[Mapping[str, Sequence[str]]] = {}  # check names to skip, by rule key
    examples: ClassVar[int] = 200
    seed: ClassVar[int] = 0

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if metafunc.definition.name != "test_conformance":
            return
        cases, ids = [], []
        for rule in self.rules:
            for raw in (None, *self.param_sets.get(rule.key, ())):
                for name in CHECKS:
                    if name not in self.skip.get(rule.key, ()):
                        cases.append((rule, raw, name))
                        given = ",".join(f"{k}={v}" for k, v in (raw or {}).items())
                        ids.append("-".join(filter(None, (rule.key, name, given))))
        metafunc.parametrize(("rule", "raw_params", "check"), cases, ids=ids)

    def test_conformance(
        self, rule: Rule, raw_params: Mapping[str, Any] | None, check: str
    ) -> None:
        run_check(check, rule, params=raw_params, examples=self.examples, seed=self.seed)
