"""Attribute charts (p, np, c, u) fed by tags, without I/O: a count is one sample, its size
the characteristic's fixed one or a paired size value (:mod:`openspc_sparkplug.bindings`).

Sparkplug pairs a count with the value of its size metric that has the same timestamp in the
same message; without one, with the size metric's latest value (report by exception: an
unchanged size need not be published again; births carry the current value). The pipeline
checks counts and sizes; the provider counts a refused one as a ``bad_count`` or ``bad_size``
drop.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from openspc_sparkplug.host import TagValue


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
