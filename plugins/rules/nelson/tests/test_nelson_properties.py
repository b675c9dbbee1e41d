"""Property tests: the vectorized rules agree with the plain-loop reference, and streaming
agrees with batch, on random series full of the patterns the rules look for."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openspc_nelson import RULES, reference

from openspc.rules import Rule

LEVELS = [x / 2 for x in range(-7, 8)]  # every zone line (0, ±1, ±2, ±3) and zone middle
BY_ID = {rule.rule_id: rule for rule in RULES}

finite = st.floats(-5.0, 5.0, allow_nan=False)


def _repeat(level: float, size: int) -> list[float]:
    return [level] * size


def _ramp(start: float, step: float, size: int) -> list[float]:
    return [start + step * i for i in range(size)]


def _alternate(level: float, amplitude: float, size: int) -> list[float]:
    return [level + amplitude * (-1) ** i for i in range(size)]


sizes = st.integers(1, 24)
segment = st.one_of(
    st.lists(finite, min_size=1, max_size=18),  # noise
    st.builds(_repeat, st.sampled_from(LEVELS), sizes),  # shift, possibly on a zone line
    st.builds(_ramp, st.sampled_from(LEVELS), st.sampled_from([-0.5, -0.25, 0, 0.25, 0.5]), sizes),
    st.builds(_alternate, st.sampled_from(LEVELS), st.sampled_from([0, 0.5, 1.0, 1.5]), sizes),
    st.lists(st.sampled_from(LEVELS), min_size=1, max_size=18),  # zone lines and ties
    st.lists(st.floats(-1.0, 1.0), min_size=1, max_size=18),  # stratification
    st.lists(
        st.sampled_from([-2.5, -2.0, -1.5, -1.0, 1.0, 1.5, 2.0, 3.0]), min_size=1, max_size=18
    ),
)
series_strategy = st.lists(segment, max_size=6).map(lambda parts: [v for p in parts for v in p])


MIN_K = {2: 1, 3: 2, 4: 3, 5: 1, 6: 1, 7: 1, 8: 2}  # the smallest K each rule accepts


def k_strategy(rule_id: int) -> st.SearchStrategy[float]:
    if rule_id == 1:
        return st.one_of(st.sampled_from([1.0, 2.0, 3.0]), st.floats(0.1, 4.0))
    return st.integers(MIN_K[rule_id], 16)


def padded(series: list[list[float]], extra: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-align the series in one array; padding gets random values that would extend
    patterns if a rule looked at them."""
    width = max(len(s) for s in series) + extra
    rng = np.random.default_rng(seed)
    z = rng.choice([-4.0, -2.5, -1.5, 0.0, 0.5, 1.5, 2.5, 4.0], (len(series), width))
    for r, s in enumerate(series):
        z[r, width - len(s) :] = s
    return z, np.array([len(s) for s in series], dtype=np.int64)


@pytest.mark.parametrize("rule_id", range(1, 9))
@settings(max_examples=100, deadline=None)
@given(
    st.data(),
    st.lists(series_strategy, min_size=1, max_size=5),
    st.integers(0, 5),
    st.integers(0, 2**32 - 1),
)
def test_vectorized_equals_plain_loop(
    rule_id: int, data: st.DataObject, series: list[list[float]], extra: int, seed: int
) -> None:
    k = data.draw(k_strategy(rule_id), label="k")
    z, n = padded(series, extra, seed)
    before = z.copy()
    out = BY_ID[rule_id].fire(z, n, BY_ID[rule_id].params({"k": k}))
    assert np.array_equal(z, before)
    width = z.shape[1]
    for r, s in enumerate(series):
        assert not out[r, : width - len(s)].any(), "fired on padding"
        assert out[r, width - len(s) :].tolist() == reference.fires(rule_id, s, k)


def streamed(rule: Rule, series: list[float], k: float) -> list[bool]:
    """Feed the points one at a time through a window of the rule's lookback."""
    params = rule.params({"k": k})
    width = rule.lookback(params)
    window: deque[float] = deque(maxlen=width)
    out = []
    for x in series:
        window.append(x)
        z = np.array([[0.0] * (width - len(window)) + list(window)])
        out.append(bool(rule.fire(z, np.array([len(window)]), params)[0, -1]))
    return out


@pytest.mark.parametrize("rule_id", range(1, 9))
@settings(max_examples=40, deadline=None)
@given(st.data(), series_strategy)
def test_streaming_equals_batch(rule_id: int, data: st.DataObject, series: list[float]) -> None:
    k = data.draw(k_strategy(rule_id), label="k")
    rule = BY_ID[rule_id]
    z = np.array(series, dtype=np.float64).reshape(1, -1)
    batch = rule.fire(z, np.array([len(series)]), rule.params({"k": k}))
    assert streamed(rule, series, k) == batch[0].tolist()
