"""Subgroup assembly: ``n`` consecutive values of a tag become one sample, without I/O.

A characteristic with subgroup size ``n > 1`` takes ``n`` consecutive values of its tag as one
subgroup, timestamped with the last value. Current and historical (store-and-forward) values
of a tag are assembled separately, so a subgroup never mixes the live stream with a backlog.

With a ``time_limit`` (seconds) a partial subgroup is discarded, and counted, when it cannot
be completed in time: when the next value's timestamp lies more than ``time_limit`` after the
first value's, or when ``time_limit`` has passed since its first value arrived
(:meth:`SubgroupAssembler.expire`). A rebinding of the tag discards it too.

Each value may carry a *hold* (the provider's acknowledgement ticket of the message it came
in); the holds come back with the completed or discarded subgroup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar

from openspc_sparkplug.bindings import Binding

H = TypeVar("H")


class Subgroup(NamedTuple, Generic[H]):
    characteristic_id: int
    timestamp: int  # ms since the epoch, of the last value
    values: list[float]
    holds: list[H]


class Discarded(NamedTuple, Generic[H]):
    tag: str
    values: int
    holds: list[H]


@dataclass(slots=True)
class _Partial(Generic[H]):
    binding: Binding
    arrived: float  # when its first value arrived (seconds)
    first_timestamp: int  # ms since the epoch
    values: list[float] = field(default_factory=list)
    holds: list[H] = field(default_factory=list)


class SubgroupAssembler(Generic[H]):
    def __init__(self, time_limit: float | None = None) -> None:
        self.time_limit = time_limit
        self.discarded: list[Discarded[H]] = []  # the caller takes and empties it
        # insertion order is start order: a partial is inserted when its first value arrives
        self._partials: dict[tuple[str, bool], _Partial[H]] = {}

    def __len__(self) -> int:
        return len(self._partials)

    def add(
        self,
        tag: str,
        binding: Binding,
        value: float,
        timestamp: int,
        *,
        historical: bool,
        hold: H | None,
        now: float,
    ) -> Subgroup[H] | None:
        """Add one value; the subgroup when it is complete."""
        key = (tag, historical)
        partial = self._partials.get(key)
        if partial is not None and (
            partial.binding != binding
            or (
                self.time_limit is not None
                and timestamp - partial.first_timestamp > self.time_limit * 1000
            )
        ):
            self._discard(key)
            partial = None
        if partial is None:
            partial = self._partials[key] = _Partial(binding, now, timestamp)
        partial.values.append(value)
        if hold is not None:
            partial.holds.append(hold)
        if len(partial.values) < binding.subgroup_size:
            return None
        del self._partials[key]
        return Subgroup(binding.characteristic_id, timestamp, partial.values, partial.holds)

    def expire(self, now: float) -> None:
        """Discard the partial subgroups whose first value arrived ``time_limit`` ago."""
        if self.time_limit is None:
            return
        while self._partials:
            key, partial = next(iter(self._partials.items()))
            if now - partial.arrived < self.time_limit:
                return
            self._discard(key)

    def next_deadline(self) -> float | None:
        """When :meth:`expire` has work next, or None."""
        if self.time_limit is None or not self._partials:
            return None
        return next(iter(self._partials.values())).arrived + self.time_limit

    def retain(self, bindings: Mapping[str, Binding]) -> None:
        """Discard the partial subgroups of tags that are no longer bound the same way."""
        for key in [k for k, p in self._partials.items() if bindings.get(k[0]) != p.binding]:
            self._discard(key)

    def clear(self) -> None:
        """Discard every partial subgroup (shutdown)."""
        for key in list(self._partials):
            self._discard(key)

    def _discard(self, key: tuple[str, bool]) -> None:
        partial = self._partials.pop(key)
        self.discarded.append(Discarded(key[0], len(partial.values), partial.holds))
