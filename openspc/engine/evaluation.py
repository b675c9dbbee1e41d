"""Vectorized rule evaluation over the new points of many characteristics at once.

The engine stacks, per chart, every touched characteristic's window followed by its new
points into one right-aligned 2-D array, then calls each rule once per distinct parameter
set on the rows that enable it. Only firings on new points are reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from openspc.engine.rulesets import RuleBinding
from openspc.stats._arrays import FloatArray, IntArray


@dataclass(frozen=True)
class SeriesInput:
    """One characteristic's series on one chart: stored window, then new points."""

    history: FloatArray
    new: FloatArray
    bindings: tuple[RuleBinding, ...]


@dataclass(frozen=True)
class Firing:
    row: int  # index into the inputs
    point: int  # index into that input's new points
    binding: RuleBinding
    z_window: FloatArray  # the lookback z values ending at the point


def stack(inputs: Sequence[SeriesInput]) -> tuple[FloatArray, IntArray, IntArray]:
    """Right-aligned ``z[k, w]``, valid counts ``n[k]`` and new-point counts ``m[k]``."""
    lengths = np.array([len(s.history) + len(s.new) for s in inputs], dtype=np.int64)
    width = int(lengths.max(initial=0))
    z = np.zeros((len(inputs), width))
    for row, series in enumerate(inputs):
        if lengths[row]:
            z[row, width - lengths[row] :] = np.concatenate((series.history, series.new))
    new = np.array([len(s.new) for s in inputs], dtype=np.int64)
    return z, lengths, new


def evaluate(inputs: Sequence[SeriesInput]) -> list[Firing]:
    if not inputs:
        return []
    z, n, m = stack(inputs)
    width = z.shape[1]
    first_new = width - m  # per row, the column of its first new point
    # Characteristics configured alike share one bindings tuple: group rows by it first, so
    # the Python work here grows with the number of distinct configurations, not of rows.
    alike: dict[int, list[int]] = defaultdict(list)
    for row, series in enumerate(inputs):
        if len(series.new):
            alike[id(series.bindings)].append(row)
    groups: dict[tuple[str, str], list[tuple[list[int], RuleBinding]]] = defaultdict(list)
    for rows in alike.values():
        for binding in inputs[rows[0]].bindings:
            if binding.enabled:
                groups[binding.group_key].append((rows, binding))
    everything = np.arange(len(inputs))
    firings: list[Firing] = []
    for segments in groups.values():
        first = segments[0][1]
        if len(segments) == 1 and len(segments[0][0]) == len(inputs):
            idx, zs, ns = everything, z, n  # every row: no copy (the common case)
        else:
            idx = np.concatenate([rows for rows, _ in segments])
            zs, ns = z[idx], n[idx]
        # Most evaluations fire nowhere: look at the firings first, keep those on new points.
        hits, cols = np.nonzero(first.rule.fire(zs, ns, first.params))
        if not hits.size:
            continue
        new = cols >= first_new[idx[hits]]
        if not new.any():
            continue
        owner = [binding for rows, binding in segments for _ in rows]  # severity is per row
        lookback = first.rule.lookback(first.params)
        for r, col in zip(hits[new].tolist(), cols[new].tolist(), strict=True):
            row = int(idx[r])
            firings.append(
                Firing(
                    row=row,
                    point=col - int(first_new[row]),
                    binding=owner[r],
                    z_window=z[row, max(width - n[row], col - lookback + 1) : col + 1],
                )
            )
    return firings
