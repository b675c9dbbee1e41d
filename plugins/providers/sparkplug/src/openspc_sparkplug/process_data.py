"""Realistic process data with injected special causes (pure: no clock, no I/O).

Each metric is normal noise around its own mean. A special cause acts on one metric from
sample ``start`` for ``length`` samples, with a magnitude in units of that metric's sigma:

======================  =====================================  ==============  ===========
kind                    effect                                 magnitude       length
======================  =====================================  ==============  ===========
``shift``               mean moves by magnitude·σ              2.0             forever
``trend``               mean drifts magnitude·σ per sample     0.1             50 samples
``outlier``             one point magnitude·σ off              4.5             1 sample
``stratification``      noise shrinks to magnitude·σ           0.2             50 samples
======================  =====================================  ==============  ===========

Text form (CLI): ``kind:metric@start[:magnitude[:length]]``, comma-separated, e.g.
``shift:3@200:1.5,outlier:0@50,trend:5@100:0.2:40``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class CauseKind(StrEnum):
    SHIFT = "shift"
    TREND = "trend"
    OUTLIER = "outlier"
    STRATIFICATION = "stratification"


_DEFAULTS: dict[CauseKind, tuple[float, int | None]] = {
    CauseKind.SHIFT: (2.0, None),
    CauseKind.TREND: (0.1, 50),
    CauseKind.OUTLIER: (4.5, 1),
    CauseKind.STRATIFICATION: (0.2, 50),
}


@dataclass(frozen=True, slots=True)
class SpecialCause:
    kind: CauseKind
    metric: int  # index into the generator's metrics
    start: int  # sample index
    magnitude: float
    length: int | None  # samples; None = until the end

    def active(self, index: int) -> bool:
        return index >= self.start and (self.length is None or index < self.start + self.length)

    @classmethod
    def parse(cls, text: str) -> SpecialCause:
        try:
            kind_text, rest = text.strip().split(":", 1)
            kind = CauseKind(kind_text.strip().lower())
            where, *numbers = rest.split(":")
            metric_text, start_text = where.split("@")
            if len(numbers) > 2:
                raise ValueError("too many fields")
            magnitude, length = _DEFAULTS[kind]
            if numbers:
                magnitude = float(numbers[0])
            if len(numbers) == 2:
                length = int(numbers[1])
            cause = cls(kind, int(metric_text), int(start_text), magnitude, length)
        except ValueError as exc:
            raise ValueError(
                f"special cause {text!r}: expected kind:metric@start[:magnitude[:length]] "
                f"with kind one of {', '.join(CauseKind)} ({exc})"
            ) from None
        if cause.metric < 0 or cause.start < 0 or (cause.length is not None and cause.length < 1):
            raise ValueError(f"special cause {text!r}: metric, start and length must be >= 0/1")
        return cause


def parse_special_causes(text: str) -> tuple[SpecialCause, ...]:
    return tuple(SpecialCause.parse(part) for part in text.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class MetricProcess:
    name: str
    mean: float
    sigma: float


# Typical SPC characteristics: (name, nominal, sigma).
_CATALOGUE = (
    ("Fill Weight", 500.0, 1.2),
    ("Bore Diameter", 25.0, 0.01),
    ("Torque", 12.0, 0.3),
    ("Oven Temperature", 180.0, 1.5),
    ("Line Pressure", 6.0, 0.05),
    ("Sheet Thickness", 2.0, 0.02),
    ("Viscosity", 350.0, 4.0),
    ("pH", 7.0, 0.05),
)


def default_processes(count: int) -> list[MetricProcess]:
    """``count`` metrics named ``Cell <k>/<characteristic>`` (names contain '/')."""
    processes = []
    for index in range(count):
        name, mean, sigma = _CATALOGUE[index % len(_CATALOGUE)]
        cell = index // len(_CATALOGUE) + 1
        processes.append(MetricProcess(f"Cell {cell}/{name}", mean, sigma))
    return processes


class ProcessGenerator:
    """Draws one sample (a value for every metric) per :meth:`next_sample` call."""

    def __init__(
        self,
        processes: Sequence[MetricProcess],
        causes: Sequence[SpecialCause] = (),
        *,
        seed: int | None = None,
    ) -> None:
        for cause in causes:
            if cause.metric >= len(processes):
                raise ValueError(f"special cause on metric {cause.metric}: only {len(processes)}")
        self.processes = tuple(processes)
        self._causes = [[c for c in causes if c.metric == i] for i in range(len(processes))]
        self._random = random.Random(seed)
        self.index = 0  # of the next sample

    def next_sample(self) -> list[float]:
        index = self.index
        self.index += 1
        return [
            self._value(process, causes, index)
            for process, causes in zip(self.processes, self._causes, strict=True)
        ]

    def _value(self, process: MetricProcess, causes: list[SpecialCause], index: int) -> float:
        offset, spread = 0.0, 1.0
        for cause in causes:
            if not cause.active(index):
                continue
            if cause.kind is CauseKind.SHIFT or cause.kind is CauseKind.OUTLIER:
                offset += cause.magnitude
            elif cause.kind is CauseKind.TREND:
                offset += cause.magnitude * (index - cause.start + 1)
            else:
                spread *= cause.magnitude
        noise = self._random.gauss(0.0, 1.0)
        return process.mean + (offset + spread * noise) * process.sigma
