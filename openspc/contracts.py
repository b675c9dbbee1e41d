"""Events that cross the kernel boundary (DESIGN.md §4). Contracts only grow."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from openspc.rules import Severity

SampleSource = Literal["TAG", "MANUAL", "IMPORT"]

#: The largest magnitude of a measured or specified value: beyond any physical quantity in
#: any unit, and small enough that sums, ranges and squares of values stay finite (a subgroup
#: of values near the largest double has an infinite mean). Larger values are rejected.
MAX_VALUE = 1e100


class SampleContext(BaseModel):
    model_config = ConfigDict(frozen=True)

    batch_number: str | None = None
    operator_id: str | None = None
    source: SampleSource = "MANUAL"


class SampleEvent(BaseModel):
    """One subgroup for one characteristic, as a provider hands it to the sink: its
    measurements, or for an attribute chart (p, np, c, u) a ``count`` of nonconforming items
    or nonconformities in ``size`` items or inspection units (None: the characteristic's
    configured size)."""

    characteristic_id: int
    timestamp: datetime
    measurements: list[float] = Field(default_factory=list)
    context: SampleContext = Field(default_factory=SampleContext)
    count: float | None = None
    size: float | None = None


class ViolationEvent(BaseModel):
    sample_id: int
    characteristic_id: int
    rule_id: int  # 1-8 for Nelson, 0 for rules without a numeric id
    rule_key: str
    rule_name: str
    severity: Severity
    details: dict[str, Any]
    violation_id: int | None = None
