"""Entry point of the ``nelson`` plugin: registers the eight rules with OpenSPC."""

from __future__ import annotations

from collections.abc import Sequence

from openspc.hookspecs import hookimpl
from openspc.rules import Rule
from openspc_nelson.rules import RULES


@hookimpl
def register_rules() -> Sequence[Rule]:
    return RULES
