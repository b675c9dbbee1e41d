"""Chart data (flat numbers, ISO timestamps: what a Recharts line chart plots) and capability."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from openspc.api.schemas.characteristics import CharacteristicSummary
from openspc.api.schemas.limits import LimitsOut
from openspc.api.schemas.rules import Chart
from openspc.rules import Severity
from openspc.stats.chart_types import ChartType


class Zones(BaseModel):
    """The zone lines of the X̄, I or attribute chart: center line ± 1 and 2 σ of the point."""

    plus_1: float = Field(alias="+1")
    plus_2: float = Field(alias="+2")
    minus_1: float = Field(alias="-1")
    minus_2: float = Field(alias="-2")


class PointLimits(BaseModel):
    """The limits in force at a point, drawn for the point's subgroup or sample size (and on
    an EWMA chart for its step: the limits widen over the first points). EWMA: the lines of
    the EWMA statistic; CUSUM: 0 and ±H, the lines of its upper and (negated) lower sums."""

    id: int = Field(description="the limits version")
    center_line: float
    ucl: float
    lcl: float
    sigma_point: float = Field(
        description="σ of the plotted statistic (X̄: σ/√n; p: √(p̄(1-p̄)/n); ...); EWMA and "
        "CUSUM: a third of the distance to the limits"
    )
    zones: Zones | None = Field(description="None on EWMA and CUSUM charts")
    dispersion_center: float | None = Field(description="None: the chart has no R/S/MR chart")
    dispersion_ucl: float | None
    dispersion_lcl: float | None


class ChartViolation(BaseModel):
    id: int
    rule_key: str
    rule_id: int
    rule_name: str
    severity: Severity
    chart: Chart
    acknowledged: bool


class ChartPoint(BaseModel):
    sample_id: int
    timestamp: datetime
    value: float = Field(
        description="subgroup mean, or the individual value; attribute charts: p, np, c or u"
    )
    dispersion: float | None = Field(
        description="R, S or MR (None: the first MR, and charts without one)"
    )
    subgroup_size: int
    count: int | None = Field(description="attribute charts: the count")
    size: float | None = Field(description="attribute charts: the sample size")
    statistic: float | None = Field(
        description="EWMA: the EWMA; CUSUM: the upper sum C⁺ (None before limits existed)"
    )
    statistic_lower: float | None = Field(description="CUSUM: the lower sum C⁻ (≥ 0)")
    excluded: bool
    limits: PointLimits | None = Field(description="None while the baseline is collected")
    violations: list[ChartViolation]


class Spec(BaseModel):
    usl: float | None
    lsl: float | None
    target: float | None


class ChartData(BaseModel):
    characteristic: CharacteristicSummary
    chart_type: ChartType
    points: list[ChartPoint] = Field(description="oldest first")
    spec: Spec
    current_limits: LimitsOut | None


class CapabilityIndices(BaseModel):
    """None where an index is not defined (e.g. Cp with one specification limit)."""

    cp: float | None
    cpk: float
    cpl: float | None
    cpu: float | None
    pp: float | None
    ppk: float
    ppl: float | None
    ppu: float | None
    cpm: float | None


class HistogramBins(BaseModel):
    edges: list[float] = Field(description="bins + 1 ascending edges")
    counts: list[int]


class Normality(BaseModel):
    method: Literal["anderson_darling"] = "anderson_darling"
    a2: float = Field(description="A²")
    a2_star: float = Field(description="A² corrected for the sample size")
    p_value: float


class CapabilityReport(BaseModel):
    characteristic_id: int
    n: int = Field(description="measurements used")
    subgroups: int
    first_sample_at: datetime
    last_sample_at: datetime
    mean: float
    sigma_within: float
    sigma_overall: float
    sigma_source: Literal["limits", "estimated"] = Field(
        description="limits: the current limits' σ; estimated: from the data by the chart's "
        "estimator (no limits yet)"
    )
    lsl: float | None
    usl: float | None
    target: float | None = Field(description="as set; else the middle of lsl..usl")
    indices: CapabilityIndices
    histogram: HistogramBins
    normality: Normality | None = Field(description="None: fewer than 8 measurements")
