"""The Westgard multirule QC rules, in single-series form.

Westgard's rules judge the control measurements of a clinical laboratory on a Levey-Jennings
chart; in OpenSPC terms, an individuals chart whose points the engine has already standardized
to ``z = (x - mean) / SD``. Each rule below is a pure function over the 2-D array ``z[k, w]``
(k series, w points each, right-aligned: row r holds its ``n[r]`` valid points in its last
``n[r]`` columns; the columns to their left are padding) that returns a boolean array of the
same shape, True at the point that completes the pattern.

Two helpers from :mod:`openspc.rules` do the bookkeeping that every rule needs:

- ``valid_mask(n, w)``: True on valid points, so a one-point rule never fires on padding;
- ``window_complete(n, w, span)``: True where the ``span`` points ending at a column are all
  valid, so a pattern can never be completed by padding, and a rule never fires before it has
  its whole window (which is what makes streaming and batch evaluation agree);

and ``rolling_count(cond, span)`` counts the True values among the ``span`` columns ending at
each column: "K points in a row" is ``rolling_count(cond, K) == K``. No loop over points.

"Exceeds" is strict throughout: a point exactly on a limit line does not exceed it.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from openspc.rules import (
    ChartFamily,
    CountArray,
    FireArray,
    Rule,
    ZArray,
    rolling_count,
    valid_mask,
    window_complete,
)

# Levey-Jennings charts plot individual control values: the "location" family in OpenSPC.
LEVEY_JENNINGS: frozenset[ChartFamily] = frozenset({"location"})

# --- parameters: pydantic models with defaults; their JSON Schema drives the settings form ---


class OneLimitParams(BaseModel):
    limit: float = Field(3.0, gt=0, description="Fires when one point is beyond ±limit SD.")


class RunBeyondParams(BaseModel):
    count: int = Field(2, ge=1, description="Consecutive points needed.")
    limit: float = Field(2.0, ge=0, description="Each beyond the same +limit or -limit SD.")


class FourOneSParams(RunBeyondParams):
    count: int = Field(4, ge=1, description="Consecutive points needed.")
    limit: float = Field(1.0, ge=0, description="Each beyond the same +limit or -limit SD.")


class RangeParams(BaseModel):
    limit: float = Field(
        2.0, gt=0, description="One point beyond +limit SD and its neighbour beyond -limit SD."
    )


class TenXParams(BaseModel):
    count: int = Field(10, ge=1, description="Consecutive points on one side of the mean.")


# --- the kernels -----------------------------------------------------------------------------


def _run_beyond(z: ZArray, n: CountArray, count: int, limit: float) -> FireArray:
    """The ``count`` points ending at i are all above +limit, or all below -limit.

    2-2s, 4-1s and 10-x are this one pattern with other numbers (10-x: limit 0, the mean).
    """
    above = rolling_count(z > limit, count) == count
    below = rolling_count(z < -limit, count) == count
    return (above | below) & window_complete(n, z.shape[1], count)


def one_3s(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    """1-3s: one point beyond mean ± 3 SD."""
    p = OneLimitParams.model_validate(params)  # returns the engine's instance as it is
    return (np.abs(z) > p.limit) & valid_mask(n, z.shape[1])


def two_2s(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    """2-2s: two consecutive points beyond the same mean + 2 SD or mean - 2 SD limit."""
    p = RunBeyondParams.model_validate(params)
    return _run_beyond(z, n, p.count, p.limit)


def range_4s(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    """R-4s: two consecutive points, one beyond +2 SD and the other beyond -2 SD.

    Their difference then exceeds 4 SD (the "range" of the rule's name) by itself, so it
    needs no separate test. The rule fires on the second point of the pair.
    """
    p = RangeParams.model_validate(params)
    high, low = z > p.limit, z < -p.limit
    pair = np.zeros(z.shape, dtype=np.bool_)
    pair[:, 1:] = (high[:, 1:] & low[:, :-1]) | (low[:, 1:] & high[:, :-1])
    return pair & window_complete(n, z.shape[1], 2)


def four_1s(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    """4-1s: four consecutive points beyond the same mean + 1 SD or mean - 1 SD limit."""
    p = FourOneSParams.model_validate(params)
    return _run_beyond(z, n, p.count, p.limit)


def ten_x(z: ZArray, n: CountArray, params: BaseModel) -> FireArray:
    """10-x: ten consecutive points on the same side of the mean (a point on it breaks it)."""
    return _run_beyond(z, n, TenXParams.model_validate(params).count, 0.0)


# --- declarations: what the engine, the API and the UI learn about each rule -----------------
#
# ``lookback`` is how many points, ending at the flagged one, the rule reads; the engine keeps
# at least that many per series in its window store. Every Westgard rule rejects the run, hence
# CRITICAL. They are offered on location charts but enabled nowhere by default: an engineer
# switches them on for a QC characteristic (they overlap Nelson's rules on ordinary charts).

RULES: tuple[Rule, ...] = (
    Rule(
        key="westgard.1_3s",
        name="1-3s",
        description="One control value beyond mean ± 3 SD (random error).",
        evaluate=one_3s,
        lookback=lambda params: 1,
        params_model=OneLimitParams,
        default_severity="CRITICAL",
        applies_to=LEVEY_JENNINGS,
        sided=True,
        tags=("westgard",),
    ),
    Rule(
        key="westgard.2_2s",
        name="2-2s",
        description="Two consecutive control values beyond the same ±2 SD limit "
        "(systematic error).",
        evaluate=two_2s,
        lookback=lambda params: RunBeyondParams.model_validate(params).count,
        params_model=RunBeyondParams,
        default_severity="CRITICAL",
        applies_to=LEVEY_JENNINGS,
        sided=True,
        tags=("westgard",),
    ),
    Rule(
        key="westgard.r_4s",
        name="R-4s",
        description="Consecutive control values more than 4 SD apart, one beyond +2 SD and "
        "the other beyond -2 SD (random error).",
        evaluate=range_4s,
        lookback=lambda params: 2,
        params_model=RangeParams,
        default_severity="CRITICAL",
        applies_to=LEVEY_JENNINGS,
        tags=("westgard",),
    ),
    Rule(
        key="westgard.4_1s",
        name="4-1s",
        description="Four consecutive control values beyond the same ±1 SD limit "
        "(systematic error).",
        evaluate=four_1s,
        lookback=lambda params: FourOneSParams.model_validate(params).count,
        params_model=FourOneSParams,
        default_severity="CRITICAL",
        applies_to=LEVEY_JENNINGS,
        sided=True,
        tags=("westgard",),
    ),
    Rule(
        key="westgard.10x",
        name="10-x",
        description="Ten consecutive control values on the same side of the mean "
        "(systematic error).",
        evaluate=ten_x,
        lookback=lambda params: TenXParams.model_validate(params).count,
        params_model=TenXParams,
        default_severity="CRITICAL",
        applies_to=LEVEY_JENNINGS,
        sided=True,
        tags=("westgard",),
    ),
)
