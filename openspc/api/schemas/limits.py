"""Control-limit versions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from openspc.api.schemas import Id, Value
from openspc.stats.sigma import SigmaMethod


class LimitsOut(BaseModel):
    id: int | None = Field(description="null for a preview that was not stored")
    characteristic_id: int
    version: int | None
    center_line: float = Field(
        description="X̄/I: the mean; p, np, c, u: the process average; EWMA, CUSUM: the target"
    )
    sigma: float = Field(
        description="the process σ of one measurement (attribute charts: of one item or unit)"
    )
    ucl: float = Field(
        description="drawn for subgroup_size; EWMA: the asymptotic limit; CUSUM: H, the line of "
        "its sums (which start at 0, not at the center line)"
    )
    lcl: float = Field(description="as ucl; attribute charts clip it at 0; CUSUM: -H")
    subgroup_size: int
    dispersion_center: float | None
    dispersion_ucl: float | None
    dispersion_lcl: float | None
    method: str
    from_sample_id: int | None
    to_sample_id: int | None
    sample_count: int | None
    created_by: str | None
    comment: str | None
    created_at: datetime | None


class ManualLimitsIn(BaseModel):
    """Variables charts: the center line and either the process sigma, or the primary
    chart's UCL and LCL. Attribute charts: the center line only (p̄, n·p̄, c̄ or ū). EWMA and
    CUSUM: the target as center line and the process sigma."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    center_line: Value
    sigma: Value | None = Field(default=None, gt=0)
    ucl: Value | None = None
    lcl: Value | None = None
    comment: str | None = Field(default=None, max_length=1000)


class RecalculateIn(BaseModel):
    """Recalculate from the non-excluded samples between two sample ids (inclusive; all
    history when omitted). ``preview`` computes without storing."""

    model_config = ConfigDict(extra="forbid")

    from_sample_id: Id | None = None
    to_sample_id: Id | None = None
    sigma_method: SigmaMethod | None = None
    preview: bool = False
    comment: str | None = Field(default=None, max_length=1000)
