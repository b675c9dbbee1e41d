"""A plain-loop reading of ``shared/spec/nelson-rules.md``: the oracle for tests and benchmarks.

Deliberately naive: one Python loop over the points of one series, each window sliced and
checked the way the spec's table words it. It shares nothing with :mod:`openspc_nelson.rules`,
so agreeing with it means something. Shipped (rather than kept in ``tests/``) so that the
plugin's tests and ``benchmarks/rules_kernel.py`` import the same oracle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Window = list[float]

DEFAULT_K: dict[int, float] = {1: 3.0, 2: 9, 3: 6, 4: 14, 5: 2, 6: 4, 7: 15, 8: 8}


def fires(rule_id: int, series: Sequence[float], k: float | None = None) -> list[bool]:
    """Whether Nelson rule ``rule_id`` fires at each point of ``series`` (K from the spec
    table unless given)."""
    k = DEFAULT_K[rule_id] if k is None else k
    check, span = _CHECKS[rule_id], window_length(rule_id, k)
    out = []
    for i in range(len(series)):
        if i + 1 < span:  # a rule never fires before it has its whole window
            out.append(False)
        else:
            out.append(check([float(v) for v in series[i + 1 - span : i + 1]], k))
    return out


def window_length(rule_id: int, k: float) -> int:
    """Points a rule looks at: 1 for rule 1, K+1 for rules 5 and 6, K otherwise."""
    if rule_id == 1:
        return 1
    return int(k) + 1 if rule_id in (5, 6) else int(k)


def _differences(w: Window) -> Window:
    return [w[j + 1] - w[j] for j in range(len(w) - 1)]


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _beyond_limits(w: Window, k: float) -> bool:
    return abs(w[-1]) > k


def _shift(w: Window, k: float) -> bool:
    return all(v > 0 for v in w) or all(v < 0 for v in w)


def _trend(w: Window, k: float) -> bool:
    d = _differences(w)
    return all(x > 0 for x in d) or all(x < 0 for x in d)


def _alternating(w: Window, k: float) -> bool:
    d = _differences(w)
    return all(x != 0 for x in d) and all(_sign(d[j]) == -_sign(d[j - 1]) for j in range(1, len(d)))


def _k_of_k_plus_1(limit: float) -> Callable[[Window, float], bool]:
    def check(w: Window, k: float) -> bool:
        above = sum(1 for v in w if v > limit)
        below = sum(1 for v in w if v < -limit)
        return (w[-1] > limit and above >= k) or (w[-1] < -limit and below >= k)

    return check


def _stratification(w: Window, k: float) -> bool:
    return all(abs(v) <= 1 for v in w)


def _mixture(w: Window, k: float) -> bool:
    return all(abs(v) > 1 for v in w) and any(v > 1 for v in w) and any(v < -1 for v in w)


_CHECKS: dict[int, Callable[[Window, float], bool]] = {
    1: _beyond_limits,
    2: _shift,
    3: _trend,
    4: _alternating,
    5: _k_of_k_plus_1(2.0),
    6: _k_of_k_plus_1(1.0),
    7: _stratification,
    8: _mixture,
}
