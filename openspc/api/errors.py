"""Error responses shared by the routers: documented once for the OpenAPI schema, raised in
the shapes FastAPI itself uses (``{"detail": ...}``, and its validation-error list for 422)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

ResponseDocs = dict[int | str, dict[str, Any]]

AUTH_ERRORS: ResponseDocs = {
    401: {"description": "Not authenticated (missing, invalid or expired token or API key)"},
    403: {"description": "The caller's role is below the one this endpoint requires"},
}

ERRORS: ResponseDocs = {
    **AUTH_ERRORS,
    404: {"description": "Not found"},
    409: {"description": "Conflicts with stored data"},
    422: {"description": "Invalid input; the body names the field"},
}


#: FastAPI's answer to a body it cannot decode (not JSON text, a broken form), given before
#: any validation or authentication; documented on every operation that takes a body by
#: :func:`document_unreadable_bodies`.
UNREADABLE_BODY: ResponseDocs = {
    400: {"description": "The body could not be decoded (not JSON text, or a malformed form)"}
}


def document_unreadable_bodies(openapi: dict[str, Any]) -> dict[str, Any]:
    """Add :data:`UNREADABLE_BODY` to the responses of every operation with a request body."""
    for path in openapi.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault("400", UNREADABLE_BODY[400])
    return openapi


def invalid(loc: Sequence[str | int], message: str, value: object = None) -> RequestValidationError:
    """A 422 naming the place of the error (``("body", "samples", 3, "measurements")``)."""
    return RequestValidationError(
        [{"type": "value_error", "loc": tuple(loc), "msg": message, "input": value}]
    )


def field_error(field: str, message: str, value: object) -> RequestValidationError:
    """A 422 naming one body field, exactly like FastAPI's own validation errors."""
    return invalid(("body", field), message, value)


def not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")


def conflict(message: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, message)


@contextmanager
def conflict_on_integrity_error(message: str) -> Iterator[None]:
    """A 409 when the database refuses a write that a concurrent request made conflicting
    after the handler's own checks passed (a unique name, a tag)."""
    try:
        yield
    except IntegrityError as exc:
        raise conflict(message) from exc


def _json_safe(value: object) -> object:
    """Validation errors echo the input; NaN and infinities are not JSON, so they are named."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


async def validation_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{**e, "input": _json_safe(e.get("input"))} for e in exc.errors()]
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})
