"""Which rules run on a characteristic's charts, with which parameters and severity.

A characteristic's stored rule rows override its rules' plugin defaults; rules it does not
list run with their defaults where their plugin enables them by default on that chart family.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel

from openspc.rules import ChartFamily, Rule
from openspc.stats.chart_types import has_dispersion_chart, is_attribute, is_time_weighted

CHARTS = ("primary", "dispersion")


def charts_of(chart_type: str) -> tuple[str, ...]:
    """The charts a chart type draws: variables charts pair a dispersion chart."""
    return CHARTS if has_dispersion_chart(chart_type) else ("primary",)


def chart_family(chart_type: str, chart: str) -> ChartFamily:
    if chart == "dispersion":
        return "dispersion"
    if is_attribute(chart_type):
        return "attribute"
    return "time_weighted" if is_time_weighted(chart_type) else "location"


@dataclass(frozen=True)
class RuleBinding:
    rule: Rule
    params: BaseModel
    severity: str
    enabled: bool

    @cached_property
    def group_key(self) -> tuple[str, str]:
        """Characteristics with the same rule and parameters are evaluated together."""
        return self.rule.key, json.dumps(self.params.model_dump(), sort_keys=True)


@dataclass(frozen=True)
class StoredRule:
    chart: str
    rule_key: str
    enabled: bool
    severity: str
    params: Mapping[str, Any]


def resolve_rules(
    rules: Mapping[str, Rule], chart_type: str, stored: Iterable[StoredRule]
) -> dict[str, tuple[RuleBinding, ...]]:
    """Every applicable rule per chart (``primary``/``dispersion``), enabled or not (none on
    a chart the chart type does not draw)."""
    overrides = {(s.chart, s.rule_key): s for s in stored}
    out: dict[str, tuple[RuleBinding, ...]] = {chart: () for chart in CHARTS}
    for chart in charts_of(chart_type):
        family = chart_family(chart_type, chart)
        bindings = []
        for rule in rules.values():
            if family not in rule.applies_to:
                continue
            override = overrides.get((chart, rule.key))
            if override is None:
                bindings.append(
                    RuleBinding(
                        rule,
                        rule.params(),
                        rule.default_severity,
                        family in rule.enabled_by_default_on,
                    )
                )
            else:
                bindings.append(
                    RuleBinding(
                        rule,
                        rule.params(dict(override.params)),
                        override.severity,
                        override.enabled,
                    )
                )
        out[chart] = tuple(bindings)
    return out


def lookback(bindings: Mapping[str, tuple[RuleBinding, ...]]) -> int:
    """The longest window any enabled rule needs."""
    return max(
        (b.rule.lookback(b.params) for chart in bindings.values() for b in chart if b.enabled),
        default=1,
    )
