"""The distribution registers the rules through the ``openspc`` entry-point group."""

from __future__ import annotations

from importlib.metadata import entry_points

import pluggy
from openspc_nelson import RULES

from openspc import hookspecs


def test_entry_point_registers_the_eight_rules() -> None:
    (entry_point,) = entry_points(group="openspc", name="nelson")
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(entry_point.load(), name="nelson")
    pm.check_pending()
    (registered,) = pm.hook.register_rules()
    assert tuple(registered) == RULES
