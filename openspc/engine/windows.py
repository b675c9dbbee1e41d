"""The window store: the last plotted points of each characteristic, in memory.

It is a cache of the database (the truth): bounded by an LRU, rebuilt for many
characteristics with one query at start and on a miss, and dropped for a characteristic
whose history changes (an exclusion).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from openspc.stats._arrays import FloatArray
from openspc.stats.time_weighted import Carry

EMPTY = np.empty(0)


@dataclass
class Window:
    """z-scores of the last points of one characteristic's primary and dispersion series,
    the last plotted value (the moving range needs it) and where an EWMA or CUSUM stands."""

    z: FloatArray = field(default_factory=lambda: EMPTY)
    z_dispersion: FloatArray = field(default_factory=lambda: EMPTY)
    last_value: float | None = None
    carry: Carry | None = None

    def extended(
        self,
        z: FloatArray,
        z_dispersion: FloatArray,
        last_value: float | None,
        carry: Carry | None,
        keep: int,
    ) -> Window:
        """A new window with the given points appended (NaNs skipped), trimmed to ``keep``."""
        return Window(
            z=np.concatenate((self.z, z[~np.isnan(z)]))[-keep:],
            z_dispersion=np.concatenate((self.z_dispersion, z_dispersion[~np.isnan(z_dispersion)]))[
                -keep:
            ],
            last_value=self.last_value if last_value is None else last_value,
            carry=carry,
        )


class WindowStore:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._windows: OrderedDict[int, Window] = OrderedDict()

    def __contains__(self, characteristic_id: int) -> bool:
        return characteristic_id in self._windows

    def __len__(self) -> int:
        return len(self._windows)

    def get(self, characteristic_id: int) -> Window:
        window = self._windows[characteristic_id]
        self._windows.move_to_end(characteristic_id)
        return window

    def put(self, characteristic_id: int, window: Window) -> None:
        self._windows[characteristic_id] = window
        self._windows.move_to_end(characteristic_id)
        while len(self._windows) > self.capacity:
            self._windows.popitem(last=False)

    def missing(self, characteristic_ids: set[int]) -> set[int]:
        return {c for c in characteristic_ids if c not in self._windows}

    def drop(self, characteristic_id: int) -> None:
        self._windows.pop(characteristic_id, None)

    def clear(self) -> None:
        self._windows.clear()
