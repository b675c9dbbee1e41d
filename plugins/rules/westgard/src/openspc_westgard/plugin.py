"""Entry point of the ``westgard`` plugin (see ``[project.entry-points.openspc]``).

OpenSPC loads this module at start-up and calls every ``register_rules`` hook once.
"""

from __future__ import annotations

from collections.abc import Sequence

from openspc.hookspecs import hookimpl
from openspc.rules import Rule
from openspc_westgard.rules import RULES


@hookimpl
def register_rules() -> Sequence[Rule]:
    return RULES
