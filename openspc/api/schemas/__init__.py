"""Request and response models of the REST API (separate from the SQLAlchemy models)."""

from datetime import UTC, datetime
from typing import Annotated, TypeVar

from annotated_types import Interval
from pydantic import AfterValidator, Field, StringConstraints

from openspc.contracts import MAX_VALUE

T = TypeVar("T")

#: The largest integer a JSON client holds exactly (2**53 - 1), far beyond any stored id.
MAX_ID = 9_007_199_254_740_991

#: A record id, or an integer a query compares with ids (path, query and body alike): larger
#: ones are a 422, where the database driver would refuse them (SQLite binds 64 bits at most).
Id = Annotated[int, Interval(ge=-MAX_ID, le=MAX_ID)]

#: A measurement, a control limit or a specification limit.
Value = Annotated[float, Field(ge=-MAX_VALUE, le=MAX_VALUE, allow_inf_nan=False)]


def _to_utc(value: datetime) -> datetime:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:30+01:00 is before year 1 in UTC
        raise ValueError("out of range once taken to UTC") from exc


#: A point in time (ISO 8601; without an offset: UTC), taken to UTC; one that leaves the
#: calendar in UTC is a 422 (the database and the engine work in UTC).
Timestamp = Annotated[datetime, AfterValidator(_to_utc)]

#: The name of a hierarchy node or a characteristic.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

#: A validation failure found beyond one field's own type: (``loc``, message) of a 422 entry.
FieldError = tuple[tuple[str | int, ...], str]


def _not_null(value: T) -> T:
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


#: For update models: a field that may be left out (default None, never validated) but may
#: not be set to null (``Annotated[X | None, NOT_NULL] = None``).
NOT_NULL = AfterValidator(_not_null)
