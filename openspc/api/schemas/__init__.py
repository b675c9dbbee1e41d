"""Request and response models of the REST API (separate from the SQLAlchemy models)."""

from typing import Annotated, TypeVar

from pydantic import AfterValidator, StringConstraints

T = TypeVar("T")

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
