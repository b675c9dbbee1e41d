"""Samples: manual submission, listing, exclusion."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from openspc.api.schemas import Timestamp, Value


class SampleIn(BaseModel):
    """Measurements (as many as the subgroup size); or for an attribute chart (p, np, c, u)
    a count and optionally a size (default: the characteristic's)."""

    measurements: list[Value] = Field(default_factory=list, max_length=25)
    count: int | None = Field(
        default=None, ge=0, le=1_000_000_000, description="nonconforming items or nonconformities"
    )
    size: Value | None = Field(
        default=None, gt=0, description="items (p, np) or inspection units (c, u) inspected"
    )
    timestamp: Timestamp | None = None
    batch_number: str | None = Field(default=None, max_length=100)
    operator_id: str | None = Field(default=None, max_length=100)

    # Strict finiteness: JSON parsers accept NaN and Infinity tokens.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SampleBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    samples: list[SampleIn] = Field(min_length=1, max_length=10_000)


class SampleOut(BaseModel):
    id: int
    characteristic_id: int
    timestamp: datetime
    received_at: datetime | None = None
    source: str
    batch_number: str | None
    operator_id: str | None
    subgroup_size: int
    measurements: list[float]
    mean: float = Field(description="the plotted value (attribute charts: p, np, c or u)")
    value: float
    dispersion: float | None
    z: float | None
    z_dispersion: float | None
    count: int | None = Field(default=None, description="attribute charts: the count")
    size: float | None = Field(default=None, description="attribute charts: the sample size")
    statistic: float | None = Field(default=None, description="EWMA, or CUSUM C⁺")
    statistic_lower: float | None = Field(default=None, description="CUSUM C⁻")
    limits_id: int | None
    excluded: bool
    excluded_reason: str | None = None
    excluded_by: str | None = None
    excluded_at: datetime | None = None


class ViolationBrief(BaseModel):
    id: int
    sample_id: int
    characteristic_id: int
    chart: str
    rule_id: int
    rule_key: str
    rule_name: str
    severity: str
    details: dict[str, Any]
    limits_id: int | None
    created_at: datetime
    acknowledged: bool


class SampleResult(BaseModel):
    sample: SampleOut
    violations: list[ViolationBrief]


class SampleBatchResult(BaseModel):
    sample_ids: list[int | None] = Field(description="per submitted sample; null for a duplicate")
    duplicates: list[int] = Field(description="indices of samples already stored (same timestamp)")
    violations: list[ViolationBrief]


class SamplePage(BaseModel):
    items: list[SampleOut]
    total: int


class ExclusionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    excluded: bool
    reason: str = Field(min_length=1, max_length=1000)
