"""OpenSPC finds the rules through the ``westgard`` entry point."""

from __future__ import annotations

from importlib.metadata import entry_points

import pluggy
from openspc_westgard import RULES

from openspc import hookspecs


def test_entry_point_registers_the_rules() -> None:
    (entry_point,) = entry_points(group="openspc", name="westgard")
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(entry_point.load(), name="westgard")
    pm.check_pending()
    (registered,) = pm.hook.register_rules()
    assert tuple(registered) == RULES
