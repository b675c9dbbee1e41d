"""Installed rules, and the rule settings of a characteristic (validated against the rules)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from openspc.api.schemas import FieldError
from openspc.engine.rulesets import StoredRule, chart_family, charts_of, resolve_rules
from openspc.rules import ChartFamily, Rule, Severity
from openspc.stats.chart_types import a_chart

Chart = Literal["primary", "dispersion"]


class RuleInfo(BaseModel):
    key: str
    rule_id: int = Field(description="numeric id of the original contract (1-8: Nelson); 0: none")
    name: str
    description: str
    default_severity: Severity
    applies_to: list[ChartFamily]
    enabled_by_default_on: list[ChartFamily]
    sided: bool
    tags: list[str]
    params_schema: dict[str, Any] = Field(description="JSON Schema of the rule's parameters")
    defaults: dict[str, Any]
    lookback: int = Field(description="points the rule needs with its default parameters")

    @classmethod
    def of(cls, rule: Rule) -> RuleInfo:
        defaults = rule.params()
        return cls(
            key=rule.key,
            rule_id=rule.rule_id,
            name=rule.name,
            description=rule.description,
            default_severity=rule.default_severity,
            applies_to=sorted(rule.applies_to),
            enabled_by_default_on=sorted(rule.enabled_by_default_on),
            sided=rule.sided,
            tags=list(rule.tags),
            params_schema=rule.params_model.model_json_schema(),
            defaults=defaults.model_dump(),
            lookback=rule.lookback(defaults),
        )


class RuleSetting(BaseModel):
    """How one rule runs on one chart of a characteristic (rules not listed run with their
    plugin's defaults)."""

    model_config = ConfigDict(extra="forbid")

    rule_key: str
    chart: Chart = Field(default="primary", description="primary: X̄ or I; dispersion: R, S, MR")
    enabled: bool = True
    severity: Severity | None = Field(default=None, description="None: the rule's default")
    params: dict[str, Any] = Field(default_factory=dict, description="None given: defaults")


class EffectiveRule(BaseModel):
    chart: Chart
    rule_key: str
    rule_id: int
    name: str
    enabled: bool
    severity: Severity
    params: dict[str, Any]
    customized: bool = Field(description="False: the plugin's defaults apply")


def setting_errors(
    rules: Mapping[str, Rule], chart_type: str, settings: Sequence[RuleSetting]
) -> list[FieldError]:
    """What is wrong with ``settings`` (naming ``rules[i]`` and the field)."""
    errors: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for i, s in enumerate(settings):
        loc: tuple[str | int, ...] = ("body", "rules", i)
        rule = rules.get(s.rule_key)
        if rule is None:
            errors.append(((*loc, "rule_key"), f"no installed rule {s.rule_key!r}"))
            continue
        family = chart_family(chart_type, s.chart)
        if s.chart not in charts_of(chart_type):
            errors.append(((*loc, "chart"), f"{a_chart(chart_type)} has no {s.chart} chart"))
        elif family not in rule.applies_to:
            errors.append(
                (
                    (*loc, "chart"),
                    f"{rule.key} does not apply to the {s.chart} ({family}) chart; "
                    f"it applies to {', '.join(sorted(rule.applies_to))}",
                )
            )
        if (s.chart, s.rule_key) in seen:
            errors.append(((*loc, "rule_key"), f"{rule.key} is listed twice"))
        seen.add((s.chart, s.rule_key))
        for name in sorted(set(s.params) - set(rule.params_model.model_fields)):
            errors.append(((*loc, "params", name), f"{rule.key} has no parameter {name!r}"))
        try:
            rule.params(s.params)
        except ValidationError as exc:
            errors.extend(((*loc, "params", *e["loc"]), e["msg"]) for e in exc.errors())
    return errors


def stored_values(
    rules: Mapping[str, Rule], settings: Sequence[RuleSetting]
) -> list[dict[str, Any]]:
    """The rule rows of valid ``settings``; parameters as given (the rest keep following the
    plugin's defaults), severity resolved."""
    out = []
    for s in settings:
        rule = rules[s.rule_key]
        out.append(
            {
                "chart": s.chart,
                "rule_key": s.rule_key,
                "enabled": s.enabled,
                "severity": s.severity or rule.default_severity,
                "params": rule.params(s.params).model_dump(include=set(s.params)),
            }
        )
    return out


def effective_rules(
    rules: Mapping[str, Rule], chart_type: str, rows: Iterable[Any]
) -> list[EffectiveRule]:
    """Every rule that runs (or could run) on the characteristic's charts, as it is set."""
    stored = [StoredRule(r.chart, r.rule_key, r.enabled, r.severity, r.params) for r in rows]
    customized = {(s.chart, s.rule_key) for s in stored}
    return [
        EffectiveRule(
            chart=chart,  # type: ignore[arg-type]
            rule_key=b.rule.key,
            rule_id=b.rule.rule_id,
            name=b.rule.name,
            enabled=b.enabled,
            severity=b.severity,  # type: ignore[arg-type]
            params=b.params.model_dump(),
            customized=(chart, b.rule.key) in customized,
        )
        for chart, bindings in resolve_rules(rules, chart_type, stored).items()
        for b in bindings
    ]
