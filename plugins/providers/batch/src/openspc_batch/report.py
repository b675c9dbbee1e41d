"""What an import reports: progress while it runs, and the summary at the end."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, Field

Phase = Literal["checking", "storing"]


class Rejection(BaseModel):
    line: int = Field(description="CSV line (the header is line 1) or Parquet row (from 1)")
    reason: str


class Progress(BaseModel):
    phase: Phase
    rows_done: int
    rows_total: int
    subgroups: int
    stored: int
    rejected: int
    violations: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows_done / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        rate = self.rows_per_second
        return (self.rows_total - self.rows_done) / rate if rate > 0 else None


class ImportReport(BaseModel):
    file: str
    dry_run: bool
    rows: int = Field(description="rows of the file read")
    subgroups: int = Field(description="subgroups found in those rows")
    stored: int = Field(description="samples stored (a dry run stores none)")
    already_stored: int = Field(
        description="subgroups skipped because a sample with the same characteristic and "
        "timestamp was stored before (a dry run counts those it would skip)"
    )
    rejected: int = Field(description="subgroups rejected")
    rejections: list[Rejection] = Field(description="the first rejections, in file order")
    violations: int = Field(description="violations the stored samples caused")
    violations_by_rule: dict[str, int]
    characteristics: list[int] = Field(description="characteristics that received samples")
    limits: list[dict[str, Any]] = Field(
        default_factory=list, description="limit versions calculated from a baseline range"
    )
    notes: list[str] = Field(default_factory=list)
    refused: str | None = Field(
        default=None, description="why nothing was stored (on_duplicate=refuse)"
    )
    seconds: float


class Tally:
    """Counts of a running import (one pass over the file)."""

    def __init__(self, phase: Phase, rows_total: int, listed: int) -> None:
        self.phase: Phase = phase
        self.rows_total = rows_total
        self.listed = listed
        self.started = time.perf_counter()
        self.rows = 0
        self.subgroups = 0
        self.stored = 0
        self.already_stored = 0
        self.rejected = 0
        self.rejections: list[Rejection] = []
        self.violations: Counter[str] = Counter()
        self.characteristics: set[int] = set()

    def reject(self, lines: list[int], reasons: list[str]) -> None:
        self.rejected += len(lines)
        room = self.listed - len(self.rejections)
        self.rejections.extend(
            Rejection(line=line, reason=reason)
            for line, reason in zip(lines[:room], reasons[:room], strict=True)
        )

    def progress(self) -> Progress:
        return Progress(
            phase=self.phase,
            rows_done=self.rows,
            rows_total=self.rows_total,
            subgroups=self.subgroups,
            stored=self.stored,
            rejected=self.rejected,
            violations=sum(self.violations.values()),
            seconds=time.perf_counter() - self.started,
        )

    def report(self, file: str, dry_run: bool, started: float, **extra: Any) -> ImportReport:
        """The report of the import that started at ``started`` (``time.perf_counter``)."""
        return ImportReport(
            file=file,
            dry_run=dry_run,
            rows=self.rows,
            subgroups=self.subgroups,
            stored=self.stored,
            already_stored=self.already_stored,
            rejected=self.rejected,
            rejections=sorted(self.rejections, key=lambda r: r.line),
            violations=sum(self.violations.values()),
            violations_by_rule=dict(sorted(self.violations.items())),
            characteristics=sorted(self.characteristics),
            seconds=round(time.perf_counter() - started, 3),
            **extra,
        )
