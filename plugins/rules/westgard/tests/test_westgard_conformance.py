"""The Westgard rules pass OpenSPC's rule conformance suite (defaults and other values)."""

from __future__ import annotations

from openspc_westgard import RULES

from openspc.testing.rules import RuleConformance


class TestWestgardConformance(RuleConformance):
    rules = RULES
    param_sets = {
        "westgard.1_3s": ({"limit": 2.5},),
        "westgard.2_2s": ({"count": 3, "limit": 1.5},),
        "westgard.r_4s": ({"limit": 1.0},),
        "westgard.4_1s": ({"count": 8},),
        "westgard.10x": ({"count": 7},),
    }
