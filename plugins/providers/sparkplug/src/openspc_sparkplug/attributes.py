"""Attribute charts (p, np, c, u) fed by tags, without I/O: a count is one sample, its size
the characteristic's fixed one or a paired size value (:mod:`openspc_sparkplug.bindings`).

Sparkplug pairs a count with the value of its size metric that has the same timestamp in the
same message; without one, with the size metric's latest value (report by exception: an
unchanged size need not be published again; births carry the current value). Counts and
sizes are checked as the pipeline checks them, so a bad one is a counted drop with its tag
as the source and a reason of its own.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

from openspc_sparkplug.bindings import Binding
from openspc_sparkplug.drops import DropReason
from openspc_sparkplug.host import TagValue

_ONE_SIZE = ("np", "c")  # the chart has one sample size, the characteristic's
_ITEMS = ("p", "np")  # nonconforming items: a whole number of them, at most the size


def count_problem(binding: Binding, count: float, size: float | None) -> DropReason | None:
    """Why an attribute sample (``count`` in ``size``, None: the fixed size) cannot be
    stored, if it cannot."""
    if not (math.isfinite(count) and count >= 0 and count == int(count)):
        return DropReason.BAD_COUNT
    n = binding.subgroup_size if size is None else size
    if not (math.isfinite(n) and n > 0):
        return DropReason.BAD_SIZE
    if binding.attribute in _ONE_SIZE and n != binding.subgroup_size:
        return DropReason.BAD_SIZE
    if binding.attribute in _ITEMS:
        if n != int(n):
            return DropReason.BAD_SIZE
        if count > n:
            return DropReason.BAD_COUNT
    return None


class SizeValues:
    """The values of Sparkplug size metrics: those of the message at hand by timestamp, and
    the latest of each metric (live and historical values apart)."""

    def __init__(self) -> None:
        self.latest: dict[tuple[str, bool], float] = {}
        self._current: dict[tuple[str, int, bool], float] = {}

    def take(self, values: Iterable[TagValue], size_tags: Collection[str]) -> None:
        """Note the size values among the values of one message (before its counts)."""
        self._current = {}
        for tag, timestamp, value, historical in values:
            if tag in size_tags:
                self._current[tag, timestamp, historical] = value
                self.latest[tag, historical] = value

    def size(self, tag: str, timestamp: int, historical: bool) -> float | None:
        """The size for a count at ``timestamp``: the same message's value with that
        timestamp, else the latest (None: the size metric never had a value)."""
        found = self._current.get((tag, timestamp, historical))
        if found is None:
            found = self.latest.get((tag, historical), self.latest.get((tag, not historical)))
        return found
