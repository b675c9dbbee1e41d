"""The Nelson rules pass the rule conformance suite, with default and other K values."""

from __future__ import annotations

from openspc_nelson import RULES

from openspc.testing.rules import RuleConformance


class TestNelsonConformance(RuleConformance):
    rules = RULES
    param_sets = {
        "nelson.1": ({"k": 2.0},),
        "nelson.2": ({"k": 1}, {"k": 5}),
        "nelson.3": ({"k": 2}, {"k": 4}),
        "nelson.4": ({"k": 3}, {"k": 8}),
        "nelson.5": ({"k": 1}, {"k": 3}),
        "nelson.6": ({"k": 1}, {"k": 6}),
        "nelson.7": ({"k": 1}, {"k": 20}),
        "nelson.8": ({"k": 2}, {"k": 4}),
    }
