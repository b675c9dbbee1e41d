"""Characteristics: what is measured where, charted how, against which specification."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from openspc.api.schemas import NOT_NULL, FieldError, Id, Name, Value
from openspc.api.schemas.limits import LimitsOut, ManualLimitsIn
from openspc.api.schemas.rules import EffectiveRule, RuleSetting
from openspc.engine.charts import params_for
from openspc.stats.chart_types import ChartType, a_chart, is_attribute, is_time_weighted
from openspc.stats.constants import MAX_SUBGROUP_SIZE, MIN_SUBGROUP_SIZE

Source = Literal["MANUAL", "TAG"]

#: The stored configuration columns (what create sets and update may change).
CONFIG_FIELDS = (
    "hierarchy_id",
    "name",
    "description",
    "unit",
    "decimal_places",
    "chart_type",
    "subgroup_size",
    "chart_params",
    "usl",
    "lsl",
    "target",
    "source",
    "tag",
    "sampling_interval_minutes",
    "baseline_subgroups",
)

TAG_FORMS = (
    "sparkplug://group/node[/device]/metric or mqtt://topic[#field]; attribute charts may add "
    "?size=<metric or field> (the sample size, else the fixed subgroup_size)"
)
_TAG = re.compile(r"sparkplug://[^/+#]+/[^/+#]+/.+|mqtt://[^#+]+(?:#.+)?")


def _tag_form(tag: str) -> str:
    if not _TAG.fullmatch(tag):
        raise ValueError(f"expected {TAG_FORMS}")
    return tag


Unit = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
TagUri = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=500),
    AfterValidator(_tag_form),
    Field(description=f"the provider binding: {TAG_FORMS}"),
]
DecimalPlaces = Annotated[int, Field(ge=0, le=10)]
MAX_SAMPLE_SIZE = 1_000_000
SubgroupSize = Annotated[
    int,
    Field(
        ge=1,
        le=MAX_SAMPLE_SIZE,
        description="1 for imr; 2..25 for xbar_r/xbar_s; 1..25 for ewma/cusum (1: individual "
        "values); for p, np, c, u the sample size (items or inspection units) of a sample that "
        "gives none, which np and c always have",
    ),
]
ChartParams = Annotated[
    dict[str, Any],
    Field(
        description="ewma: {lambda (0..1], default 0.2; L, default 3}; cusum: {k, default 0.5; "
        "h, default 5; reset_after_signal, default false}; other charts: {}"
    ),
]
Interval = Annotated[
    int, Field(ge=1, le=525_600, description="manual entry is due this often (minutes)")
]
BaselineSubgroups = Annotated[
    int, Field(ge=2, le=10_000, description="subgroups collected before limits are calculated")
]
NEW_LIMITS = (
    "a new manual limits version: {center_line, sigma} or {center_line, ucl, lcl}; attribute "
    "charts {center_line}; ewma and cusum {center_line, sigma}"
)


class CharacteristicCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hierarchy_id: Id
    name: Name
    description: str | None = None
    unit: Unit | None = None
    decimal_places: DecimalPlaces = 3
    chart_type: ChartType
    subgroup_size: SubgroupSize
    chart_params: ChartParams = Field(default_factory=dict)
    usl: Value | None = None
    lsl: Value | None = None
    target: Value | None = None
    source: Source = "MANUAL"
    tag: TagUri | None = None
    sampling_interval_minutes: Interval | None = None
    baseline_subgroups: BaselineSubgroups | None = None
    limits: ManualLimitsIn | None = Field(default=None, description=NEW_LIMITS)
    rules: list[RuleSetting] = Field(default_factory=list)


class CharacteristicUpdate(BaseModel):
    """The fields to change. ``rules`` replaces every stored rule setting; ``limits`` adds a
    new manual limits version. ``chart_type`` and ``subgroup_size`` are fixed once samples
    exist."""

    model_config = ConfigDict(extra="forbid")

    hierarchy_id: Annotated[Id | None, NOT_NULL] = None
    name: Annotated[Name | None, NOT_NULL] = None
    description: str | None = None
    unit: Unit | None = None
    decimal_places: Annotated[DecimalPlaces | None, NOT_NULL] = None
    chart_type: Annotated[ChartType | None, NOT_NULL] = None
    subgroup_size: Annotated[SubgroupSize | None, NOT_NULL] = None
    chart_params: Annotated[ChartParams | None, NOT_NULL] = None
    usl: Value | None = None
    lsl: Value | None = None
    target: Value | None = None
    source: Annotated[Source | None, NOT_NULL] = None
    tag: TagUri | None = None
    sampling_interval_minutes: Interval | None = None
    baseline_subgroups: BaselineSubgroups | None = None
    limits: Annotated[ManualLimitsIn | None, NOT_NULL] = Field(default=None, description=NEW_LIMITS)
    rules: Annotated[list[RuleSetting] | None, NOT_NULL] = Field(
        default=None, description="replaces every stored rule setting"
    )


def config_errors(config: Mapping[str, Any]) -> list[FieldError]:
    """What is wrong with a whole configuration (fields that must agree with each other)."""
    errors: list[FieldError] = []
    chart_type, n = config["chart_type"], config["subgroup_size"]
    if chart_type == "imr" and n != 1:
        errors.append((("body", "subgroup_size"), "an imr chart has subgroups of 1"))
    if chart_type in ("xbar_r", "xbar_s") and not MIN_SUBGROUP_SIZE <= n <= MAX_SUBGROUP_SIZE:
        errors.append(
            (
                ("body", "subgroup_size"),
                f"{a_chart(chart_type)} has subgroups of {MIN_SUBGROUP_SIZE} to "
                f"{MAX_SUBGROUP_SIZE}",
            )
        )
    if is_time_weighted(chart_type) and n > MAX_SUBGROUP_SIZE:
        errors.append(
            (
                ("body", "subgroup_size"),
                f"{a_chart(chart_type)} has subgroups of 1 to {MAX_SUBGROUP_SIZE}",
            )
        )
    errors += _params_errors(chart_type, config.get("chart_params") or {})
    lsl, usl, target = config["lsl"], config["usl"], config["target"]
    if is_attribute(chart_type):
        errors += [
            (("body", name), f"{a_chart(chart_type)} counts: it has no {name}")
            for name in ("usl", "lsl", "target")
            if config[name] is not None
        ]
    if lsl is not None and usl is not None and not lsl < usl:
        errors.append((("body", "lsl"), "lsl must be below usl"))
    if target is not None and (
        (lsl is not None and target < lsl) or (usl is not None and target > usl)
    ):
        errors.append((("body", "target"), "target must lie within lsl..usl"))
    if config["source"] == "TAG" and not config["tag"]:
        errors.append((("body", "tag"), f"a TAG characteristic needs a tag: {TAG_FORMS}"))
    if config["source"] == "MANUAL" and config["tag"]:
        errors.append((("body", "tag"), "a MANUAL characteristic has no tag"))
    if config["tag"] and "?size=" in config["tag"] and not is_attribute(chart_type):
        errors.append(
            (("body", "tag"), f"?size= binds a sample size: {a_chart(chart_type)} takes none")
        )
    return errors


def _params_errors(chart_type: str, params: Mapping[str, Any]) -> list[FieldError]:
    if not is_time_weighted(chart_type):
        if params:
            return [(("body", "chart_params"), f"{a_chart(chart_type)} takes no parameters")]
        return []
    try:
        params_for(chart_type, params)
    except ValidationError as exc:
        return [(("body", "chart_params", *map(str, e["loc"])), e["msg"]) for e in exc.errors()]
    return []


def chart_family(chart_type: str) -> str:
    """variables, attribute or time_weighted (what limits carry over a chart change)."""
    if is_attribute(chart_type):
        return "attribute"
    return "time_weighted" if is_time_weighted(chart_type) else "variables"


class CharacteristicSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    hierarchy_id: int
    name: str
    description: str | None
    unit: str | None
    decimal_places: int
    chart_type: ChartType
    subgroup_size: int
    chart_params: dict[str, Any]
    usl: float | None
    lsl: float | None
    target: float | None
    source: Source
    tag: str | None
    sampling_interval_minutes: int | None
    baseline_subgroups: int | None
    created_at: datetime
    updated_at: datetime


class Characteristic(CharacteristicSummary):
    rules: list[EffectiveRule]
    current_limits: LimitsOut | None


class DueCharacteristic(BaseModel):
    id: int
    hierarchy_id: int
    name: str
    unit: str | None
    subgroup_size: int
    sampling_interval_minutes: int
    last_sample_at: datetime | None = Field(description="None: never sampled")
    due_at: datetime = Field(description="last sample + interval (never sampled: created)")
    overdue_minutes: float
