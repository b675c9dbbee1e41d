"""The rule contract: what a rule plugin hands the engine.

A rule is a pure, vectorized function over standardized points. The engine hands it a 2-D
array ``z[k, w]`` (k series × w points, right-aligned: row ``r`` holds its ``n[r]`` valid
points in the last ``n[r]`` columns; columns to the left are padding with unspecified, finite
values) and the rule returns a boolean array of the same shape, True where the rule fires.
A rule must never fire on a pattern that reaches into the padding, must not mutate its input,
and must decide point ``i`` from points ``<= i`` only, so that streaming (short windows) and
batch (whole history) agree by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

Severity = Literal["WARNING", "CRITICAL"]

#: Chart families a rule can apply to. ``location``: X̄ and I charts; ``dispersion``: R, S and
#: MR charts; ``attribute``: p, np, c, u; ``time_weighted``: EWMA and CUSUM.
ChartFamily = Literal["location", "dispersion", "attribute", "time_weighted"]
CHART_FAMILIES: tuple[ChartFamily, ...] = ("location", "dispersion", "attribute", "time_weighted")

ZArray = NDArray[np.float64]
CountArray = NDArray[np.int64]
FireArray = NDArray[np.bool_]
RuleFunction = Callable[[ZArray, CountArray, BaseModel], FireArray]


class NoParams(BaseModel):
    """Parameter model for rules without parameters."""


@dataclass(frozen=True)
class Rule:
    """A rule's declared shape plus its vectorized function.

    ``lookback(params)`` is the number of points, ending at the flagged one, that the rule
    needs; the engine sizes every window to the longest lookback of the enabled rules.
    ``sided`` rules (one side at a time) get the side of the flagged point recorded.
    ``rule_id`` is the numeric id of the original contract (1-8 for Nelson); 0 for rules
    that have none.
    """

    key: str
    name: str
    description: str
    evaluate: RuleFunction
    lookback: Callable[[BaseModel], int]
    params_model: type[BaseModel] = NoParams
    default_severity: Severity = "WARNING"
    applies_to: frozenset[ChartFamily] = frozenset({"location"})
    enabled_by_default_on: frozenset[ChartFamily] = frozenset()
    sided: bool = False
    rule_id: int = 0
    tags: tuple[str, ...] = field(default_factory=tuple)

    def params(self, raw: dict[str, object] | None = None) -> BaseModel:
        """Validate raw parameters against the rule's model (defaults fill the gaps)."""
        return self.params_model.model_validate(raw or {})

    def fire(self, z: ZArray, n: CountArray, params: BaseModel | None = None) -> FireArray:
        """Evaluate the rule; ``params`` defaults to the model's defaults."""
        return self.evaluate(z, n, params if params is not None else self.params())


def valid_mask(n: CountArray, width: int) -> FireArray:
    """True where a column holds a valid (non-padding) point of its row."""
    cols = np.arange(width)
    return cols[None, :] >= (width - np.asarray(n))[:, None]


def window_complete(n: CountArray, width: int, span: int) -> FireArray:
    """True where the ``span`` points ending at a column are all valid points of the row."""
    cols = np.arange(width)
    return cols[None, :] >= (width - np.asarray(n) + span - 1)[:, None]


def rolling_count(cond: NDArray[np.bool_], span: int) -> NDArray[np.int64]:
    """How many of the ``span`` columns ending at each column are True (row-wise).

    Columns before the first complete window count what is there; callers combine this with
    ``window_complete`` so that incomplete windows never fire.
    """
    c = np.cumsum(cond, axis=1, dtype=np.int64)
    out = c.copy()
    if span < cond.shape[1]:
        out[:, span:] -= c[:, :-span]
    return out
