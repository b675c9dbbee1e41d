"""An import tunes the process's cyclic garbage collector for its duration only."""

from __future__ import annotations

import gc
import weakref

from openspc_batch.importer import _rare_collections


class _Node:
    def __init__(self) -> None:
        self.itself = self  # a reference cycle: only the cyclic collector frees it


def test_outside_a_server_the_collector_is_as_it_was() -> None:
    thresholds = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    with _rare_collections():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() != thresholds
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds


def test_in_a_server_the_start_up_objects_stay_frozen() -> None:
    thresholds = gc.get_threshold()
    gc.freeze()  # as openspc.app does once started
    try:
        frozen = gc.get_freeze_count()
        with _rare_collections():
            garbage = weakref.ref(_Node())
            survivor = _Node()
        assert garbage() is None  # the import's garbage was collected, not frozen
        assert gc.get_freeze_count() > frozen  # what the import left is frozen too
        assert not any(o is survivor for o in gc.get_objects())
        assert gc.get_threshold() == thresholds
    finally:
        gc.unfreeze()
