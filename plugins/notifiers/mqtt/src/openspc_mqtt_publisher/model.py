"""The Sparkplug metric model: the metrics that describe one characteristic.

Every characteristic is a folder of node metrics named ``SPC/<id> <name>/<field>`` (a ``/`` in
the name becomes ``-``, so it cannot open a sub-folder). Aliases are ``id * 16 + field``:
unique on the node and stable across births.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import get_args

from openspc.rules import Severity
from openspc_sparkplug.codec import DataType, Metric

ALIAS_STRIDE = 16  # aliases per characteristic (room for fields added later)
NO_ALARM = "NONE"  # ``Alarm Severity`` without an unacknowledged violation
_SEVERITY_RANK = {s: i for i, s in enumerate(get_args(Severity))}  # ascending


class Field(IntEnum):
    """A metric of a characteristic; the value is its alias offset."""

    LAST_VALUE = 0
    CENTER_LINE = 1
    UCL = 2
    LCL = 3
    ALARM = 4
    ALARM_SEVERITY = 5
    UNACKNOWLEDGED = 6
    LAST_VIOLATION = 7

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def datatype(self) -> DataType:
        return _DATATYPES[self]


_LABELS = {
    Field.LAST_VALUE: "Last Value",
    Field.CENTER_LINE: "Center Line",
    Field.UCL: "UCL",
    Field.LCL: "LCL",
    Field.ALARM: "Alarm",
    Field.ALARM_SEVERITY: "Alarm Severity",
    Field.UNACKNOWLEDGED: "Unacknowledged",
    Field.LAST_VIOLATION: "Last Violation",
}
_DATATYPES = {
    Field.LAST_VALUE: DataType.Double,
    Field.CENTER_LINE: DataType.Double,
    Field.UCL: DataType.Double,
    Field.LCL: DataType.Double,
    Field.ALARM: DataType.Boolean,
    Field.ALARM_SEVERITY: DataType.String,
    Field.UNACKNOWLEDGED: DataType.Int32,
    Field.LAST_VIOLATION: DataType.String,
}

Value = bool | int | float | str | None


def alias(characteristic_id: int, field: Field) -> int:
    return characteristic_id * ALIAS_STRIDE + field


def metric_name(characteristic_id: int, name: str, field: Field) -> str:
    return f"SPC/{characteristic_id} {name.replace('/', '-')}/{field.label}"


def violation_text(rule_key: str, sample_id: int) -> str:
    """The ``Last Violation`` value: which rule fired on which sample."""
    return f"{rule_key} sample {sample_id}"


def highest_severity(severities: set[str]) -> str:
    """The most severe of the severities of unacknowledged violations (NONE for none)."""
    if not severities:
        return NO_ALARM
    return max(severities, key=lambda s: _SEVERITY_RANK.get(s, -1))


@dataclass(frozen=True)
class Alarm:
    """The unacknowledged violations of a characteristic."""

    unacknowledged: int = 0
    severity: str = NO_ALARM


@dataclass
class CharacteristicState:
    """What the node last published for one characteristic; timestamps in ms since epoch."""

    id: int
    name: str
    last_value: float | None = None
    last_value_at: int | None = None
    center_line: float | None = None
    ucl: float | None = None
    lcl: float | None = None
    limits_at: int | None = None
    alarm: Alarm = field(default_factory=Alarm)
    last_violation: str | None = None
    last_violation_at: int | None = None

    def birth_metrics(self, now: int) -> list[Metric]:
        """Every field with name, alias, datatype and current value (NBIRTH)."""
        alarm = self.alarm
        values: dict[Field, tuple[Value, int | None]] = {
            Field.LAST_VALUE: (self.last_value, self.last_value_at),
            Field.CENTER_LINE: (self.center_line, self.limits_at),
            Field.UCL: (self.ucl, self.limits_at),
            Field.LCL: (self.lcl, self.limits_at),
            Field.ALARM: (alarm.unacknowledged > 0, now),
            Field.ALARM_SEVERITY: (alarm.severity, now),
            Field.UNACKNOWLEDGED: (alarm.unacknowledged, now),
            Field.LAST_VIOLATION: (self.last_violation, self.last_violation_at),
        }
        return [
            Metric(
                name=metric_name(self.id, self.name, f),
                alias=alias(self.id, f),
                datatype=f.datatype,
                value=value,
                timestamp=timestamp or now,
            )
            for f, (value, timestamp) in values.items()
        ]
