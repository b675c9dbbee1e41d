"""Control-limit versions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from openspc.api.schemas import Id, Value
from openspc.stats.sigma import SigmaMethod


class LimitsOut(BaseModel):
    id: int | None = Field(description="null for a preview that was not stored")
    characteristic_id: int
    version: int | None
    center_line: float
    sigma: float
    ucl: float
    lcl: float
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
    """Either the process sigma, or the primary chart's UCL and LCL."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    center_line: Value
    sigma: Value | None = Field(default=None, gt=0)
    ucl: Value | None = None
    lcl: Value | None = None
    comment: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _sigma_or_lines(self) -> ManualLimitsIn:
        if self.sigma is None and (self.ucl is None or self.lcl is None):
            raise ValueError("give sigma, or both ucl and lcl")
        if self.sigma is None and not (self.ucl > self.lcl):  # type: ignore[operator]
            raise ValueError("ucl must be above lcl")
        return self


class RecalculateIn(BaseModel):
    """Recalculate from the non-excluded samples between two sample ids (inclusive; all
    history when omitted). ``preview`` computes without storing."""

    model_config = ConfigDict(extra="forbid")

    from_sample_id: Id | None = None
    to_sample_id: Id | None = None
    sigma_method: SigmaMethod | None = None
    preview: bool = False
    comment: str | None = Field(default=None, max_length=1000)
