"""Plain (non-Sparkplug) MQTT payloads: a number, or numeric fields of a JSON document.

``mqtt://<topic>`` takes the whole payload as the number (``12.5``); ``mqtt://<topic>#<field>``
takes a field of a JSON object, by exact key first, else as a dotted path through objects and
arrays (``line.temps.0``). JSON ``true``/``false``, strings and objects are not measurements
(``wrong_type``).

The value's timestamp is the document's top-level ``timestamp`` (milliseconds since the epoch,
or an ISO 8601 string; without an offset it is UTC) when there is one. Only such a timestamp
lets a redelivered message be recognized as a duplicate; without it the arrival time is used.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from openspc_sparkplug.drops import DropReason

TIMESTAMP_FIELD = "timestamp"
MAX_TIMESTAMP_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z, the last datetime


class PlainValue(NamedTuple):
    value: float | None  # finite, or None with ``reason`` set
    reason: DropReason | None


class PlainPayload(NamedTuple):
    timestamp: int | None  # ms since the epoch, from the document; None: use the arrival time
    values: list[PlainValue]  # one per requested field, in order


def parse_plain(payload: bytes, fields: Sequence[str | None]) -> PlainPayload:
    """The values of ``fields`` (None: the payload itself) of one message; never raises."""
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        return _all(fields, DropReason.MALFORMED)
    timestamp: int | None = None
    if isinstance(document, dict) and TIMESTAMP_FIELD in document:
        timestamp = _timestamp(document[TIMESTAMP_FIELD])
        if timestamp is None:
            return _all(fields, DropReason.MALFORMED)
    return PlainPayload(timestamp, [_number(_field(document, f)) for f in fields])


def _all(fields: Sequence[str | None], reason: DropReason) -> PlainPayload:
    return PlainPayload(None, [PlainValue(None, reason)] * len(fields))


_MISSING = object()


def _field(document: Any, field: str | None) -> Any:
    if field is None:
        return document
    if not isinstance(document, dict):
        return _MISSING
    if field in document:
        return document[field]
    node = document
    for part in field.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _number(value: Any) -> PlainValue:
    if value is _MISSING:
        return PlainValue(None, DropReason.NO_VALUE)
    if value is None:
        return PlainValue(None, DropReason.NULL)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return PlainValue(None, DropReason.WRONG_TYPE)
    number = float(value)
    if not math.isfinite(number):
        return PlainValue(None, DropReason.NON_FINITE)
    return PlainValue(number, None)


def _timestamp(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if 0 < value <= MAX_TIMESTAMP_MS else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return int(parsed.timestamp() * 1000)
    return None
