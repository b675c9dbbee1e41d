"""How the columns of a file become subgroups: the column mapping of an import.

Two layouts: ``wide``, one row per subgroup with its measurements in several columns, and
``long``, one row per measurement, the rows of one subgroup sharing the characteristic and
the subgroup column (the timestamp by default). Attribute charts (p, np, c, u) take a
``count`` column and optionally a ``size`` column instead of measurements, one row per
sample; that is the long layout too (a wide row of measurements has no count).
"""

from __future__ import annotations

import json
import zoneinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Layout = Literal["wide", "long"]


class MappingError(ValueError):
    """The mapping does not fit the file (or is not a mapping at all)."""


class ColumnMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    layout: Layout = "wide"
    characteristic_id: int | None = Field(
        default=None, description="every row belongs to this characteristic"
    )
    characteristic: str | None = Field(
        default=None, description="the column that names each row's characteristic"
    )
    characteristics: dict[str, int] = Field(
        default_factory=dict,
        description="values of the characteristic column → characteristic ids "
        "(default: the column holds the ids)",
    )
    timestamp: str = Field(default="timestamp", description="the timestamp column")
    timestamp_format: str | None = Field(
        default=None,
        description="a strftime format such as '%d/%m/%Y %H:%M', or 'epoch_s' / 'epoch_ms'; "
        "default: ISO 8601 and other common unambiguous formats",
    )
    timezone: str = Field(default="UTC", description="the time zone of timestamps without offset")
    values: list[str] | None = Field(
        default=None,
        min_length=1,
        description="wide: the measurement columns in order (default: every unmapped column)",
    )
    value: str = Field(default="value", description="long: the measurement column")
    subgroup: str | None = Field(
        default=None, description="long: the column that tells subgroups apart (default: timestamp)"
    )
    count: str | None = Field(
        default=None,
        description="attribute charts (p, np, c, u): the column of the count (nonconforming "
        "items or nonconformities), one row per sample; implies the long layout",
    )
    size: str | None = Field(
        default=None,
        description="attribute charts: the column of the sample size (items or inspection "
        "units); default, and where a cell is empty: the characteristic's size",
    )
    batch_number: str | None = Field(default=None, description="the batch (lot) number column")
    operator: str | None = Field(default=None, description="the operator column")
    separator: str = Field(default=",", min_length=1, max_length=1, description="CSV only")
    decimal_comma: bool = Field(default=False, description="CSV only: numbers like 1,5")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ColumnMapping:
        if (self.characteristic_id is None) == (self.characteristic is None):
            raise ValueError("give either characteristic_id or a characteristic column")
        if self.decimal_comma and self.separator == ",":
            raise ValueError("decimal_comma needs another separator (e.g. ';')")
        if self.count is None:
            if self.size is not None:
                raise ValueError("a size column goes with a count column (attribute charts)")
            return self
        if "layout" in self.model_fields_set and self.layout == "wide":
            raise ValueError(
                "the wide layout carries measurements: attribute samples (a count column) are "
                "one row each, in the long layout"
            )
        misplaced = [
            name
            for name, unset in (("values", None), ("value", "value"), ("subgroup", None))
            if getattr(self, name) != unset
        ]
        if misplaced:
            raise ValueError(
                f"{', '.join(misplaced)}: measurement columns do not go with a count column "
                "(attribute samples are a count and a size)"
            )
        self.layout = "long"
        return self

    @property
    def attributes(self) -> bool:
        """Whether the rows are attribute samples (a count, optionally a size)."""
        return self.count is not None

    def mapped_columns(self) -> list[str]:
        """The columns this mapping reads, except the wide layout's measurement columns."""
        columns = [self.timestamp, self.characteristic, self.batch_number, self.operator]
        if self.attributes:
            columns += [self.count, self.size]
        elif self.layout == "long":
            columns += [self.value, self.subgroup]
        return [c for c in columns if c is not None]

    def measurement_columns(self, file_columns: list[str]) -> list[str]:
        """Wide layout: the measurement columns, checked against the file's columns."""
        if self.values is not None:
            return self.values
        mapped = set(self.mapped_columns())
        return [c for c in file_columns if c not in mapped]

    def check_columns(self, file_columns: list[str]) -> None:
        """Raise :class:`MappingError` naming the mapped columns the file lacks."""
        wanted = self.mapped_columns()
        if self.layout == "wide" and not self.attributes:
            measured = self.measurement_columns(file_columns)
            if not measured:
                raise MappingError("no measurement columns: map them with 'values'")
            wanted += measured
        missing = [c for c in dict.fromkeys(wanted) if c not in file_columns]
        if missing:
            raise MappingError(
                f"column(s) {', '.join(map(repr, missing))} not in the file "
                f"(its columns: {', '.join(file_columns)})"
            )


def parse_mapping(
    text: str | None,
    characteristic_id: int | None = None,
    *,
    count: str | None = None,
    size: str | None = None,
) -> ColumnMapping:
    """A mapping from JSON text; ``characteristic_id`` sends every row to that characteristic
    (with no text: the default wide layout); ``count`` and ``size`` name the attribute
    columns (over the text's). Raises :class:`MappingError` with the reason."""
    try:
        raw = json.loads(text) if text else {}
        if not isinstance(raw, dict):
            raise MappingError("a mapping is a JSON object")
        if characteristic_id is not None:
            raw |= {"characteristic_id": characteristic_id, "characteristic": None}
        if count is not None:
            raw["count"] = count
        if size is not None:
            raw["size"] = size
        return ColumnMapping.model_validate(raw)
    except (json.JSONDecodeError, ValidationError) as exc:
        raise MappingError(f"invalid mapping: {exc}") from exc
