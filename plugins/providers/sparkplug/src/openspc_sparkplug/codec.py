"""Sparkplug B payloads to plain values and back.

Decoding is on the hot path (tens of thousands of messages per second), so it returns
NamedTuples and does per metric only what the Sparkplug facts require: presence checks,
one oneof lookup and one conversion chosen by datatype. It raises nothing but
:class:`DecodeError`; a value that is not a usable measurement comes back as ``value=None``
with the :class:`~openspc_sparkplug.drops.DropReason` that says why.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from google.protobuf.message import DecodeError as _ProtobufDecodeError

from openspc_sparkplug.drops import DropReason
from openspc_sparkplug.sparkplug_b_pb2 import Payload


class DecodeError(ValueError):
    """The bytes are not a Sparkplug B payload (or not a STATE document)."""


class DataType(IntEnum):
    """Sparkplug B metric datatypes (``Metric.datatype``)."""

    Unknown = 0
    Int8 = 1
    Int16 = 2
    Int32 = 3
    Int64 = 4
    UInt8 = 5
    UInt16 = 6
    UInt32 = 7
    UInt64 = 8
    Float = 9
    Double = 10
    Boolean = 11
    String = 12
    DateTime = 13
    Text = 14
    UUID = 15
    DataSet = 16
    Bytes = 17
    File = 18
    Template = 19
    PropertySet = 20
    PropertySetList = 21
    Int8Array = 22
    Int16Array = 23
    Int32Array = 24
    Int64Array = 25
    UInt8Array = 26
    UInt16Array = 27
    UInt32Array = 28
    UInt64Array = 29
    FloatArray = 30
    DoubleArray = 31
    BooleanArray = 32
    StringArray = 33
    DateTimeArray = 34


QUALITY_PROPERTY = "Quality"
QUALITY_BAD = 0
QUALITY_GOOD = 192
QUALITY_STALE = 500

BD_SEQ = "bdSeq"
NODE_REBIRTH = "Node Control/Rebirth"


class DecodedMetric(NamedTuple):
    name: str | None
    alias: int | None
    timestamp: int | None  # ms since epoch: the metric's own, else the payload's
    value: float | None  # finite, or None with ``reason`` set
    datatype: int  # as sent, else as looked up, else DataType.Unknown
    is_historical: bool
    is_null: bool
    quality: int | None  # the ``Quality`` property, when present and readable
    reason: DropReason | None


class DecodedPayload(NamedTuple):
    timestamp: int | None
    seq: int | None
    metrics: list[DecodedMetric]


DatatypeLookup = Callable[[str | None, int | None], int]
"""``(name, alias) -> datatype`` for DATA metrics that omit it (learned from the birth)."""

_Conversion = tuple[float | None, DropReason | None]
_Converter = Callable[[Payload.Metric, str | None], _Conversion]


def _misfit(field: str | None) -> _Conversion:
    return None, DropReason.NO_VALUE if field is None else DropReason.WRONG_TYPE


def _integer(bits: int, *, signed: bool) -> _Converter:
    """Mask to the width, then sign-extend: accepts both the width-limited two's complement
    (Python peers: Int8 -5 as 251) and the 32/64-bit sign extension (Java: Int8 -1 as
    4294967295), in either value field (UInt32 arrives in int_value or long_value)."""
    mask = (1 << bits) - 1
    half = 1 << (bits - 1) if signed else 1 << bits
    full = 1 << bits

    def convert(metric: Payload.Metric, field: str | None) -> _Conversion:
        if field == "int_value":
            raw = metric.int_value & mask
        elif field == "long_value":
            raw = metric.long_value & mask
        else:
            return _misfit(field)
        return float(raw - full if raw >= half else raw), None

    return convert


def _floating(metric: Payload.Metric, field: str | None) -> _Conversion:
    if field == "double_value":
        value = metric.double_value
    elif field == "float_value":
        value = metric.float_value
    else:
        return _misfit(field)
    return (value, None) if math.isfinite(value) else (None, DropReason.NON_FINITE)


def _boolean(metric: Payload.Metric, field: str | None) -> _Conversion:
    if field == "boolean_value":
        return (1.0 if metric.boolean_value else 0.0), None
    return _misfit(field)


def _not_numeric(metric: Payload.Metric, field: str | None) -> _Conversion:
    return None, DropReason.NO_VALUE if field is None else DropReason.NOT_NUMERIC


def _untyped(metric: Payload.Metric, field: str | None) -> _Conversion:
    """Datatype unknown: floats and booleans are unambiguous, integers are not (sign, width)."""
    if field == "double_value" or field == "float_value":
        return _floating(metric, field)
    if field == "boolean_value":
        return _boolean(metric, field)
    if field == "int_value" or field == "long_value":
        return None, DropReason.UNKNOWN_TYPE
    return _not_numeric(metric, field)


_CONVERTERS: dict[int, _Converter] = {
    DataType.Int8: _integer(8, signed=True),
    DataType.Int16: _integer(16, signed=True),
    DataType.Int32: _integer(32, signed=True),
    DataType.Int64: _integer(64, signed=True),
    DataType.UInt8: _integer(8, signed=False),
    DataType.UInt16: _integer(16, signed=False),
    DataType.UInt32: _integer(32, signed=False),
    DataType.UInt64: _integer(64, signed=False),
    DataType.Float: _floating,
    DataType.Double: _floating,
    DataType.Boolean: _boolean,
    **{t: _not_numeric for t in range(DataType.String, DataType.DateTimeArray + 1)},
}
_INT32 = _CONVERTERS[DataType.Int32]


def _quality(properties: Payload.PropertySet) -> int | None:
    for index, key in enumerate(properties.keys):
        if key == QUALITY_PROPERTY:
            if index >= len(properties.values):
                return None
            property_value = properties.values[index]
            value, _ = _INT32(property_value, property_value.WhichOneof("value"))
            return None if value is None else int(value)
    return None


def decode_payload(data: bytes, datatype_of: DatatypeLookup | None = None) -> DecodedPayload:
    """Decode one payload; several values of one metric stay separate entries, in order.

    Presence is checked exactly where zero is meaningful (``seq``, ``alias``); an empty name,
    a zero metric timestamp and datatype 0 count as absent, which saves a ``HasField`` call
    per metric.
    """
    payload = Payload()
    try:
        payload.ParseFromString(data)
    except _ProtobufDecodeError as exc:
        raise DecodeError(str(exc)) from None
    payload_timestamp = payload.timestamp if payload.HasField("timestamp") else None
    seq = payload.seq if payload.HasField("seq") else None
    converters = _CONVERTERS
    new = tuple.__new__  # builds a DecodedMetric at half the cost of its keyword __new__
    decoded: list[DecodedMetric] = []
    for metric in payload.metrics:
        name: str | bytes | None = metric.name or None
        if isinstance(name, bytes):  # upb hands out bytes for invalid UTF-8
            name = name.decode("utf-8", "replace")
        alias: int | None = metric.alias
        if not alias and not metric.HasField("alias"):
            alias = None
        datatype = metric.datatype
        if not datatype and datatype_of is not None:
            datatype = datatype_of(name, alias)
        value: float | None
        reason: DropReason | None
        if metric.is_null:
            value, reason = None, DropReason.NULL
        else:
            convert = converters.get(datatype, _untyped)
            value, reason = convert(metric, metric.WhichOneof("value"))
        decoded.append(
            new(
                DecodedMetric,
                (
                    name,
                    alias,
                    metric.timestamp or payload_timestamp,
                    value,
                    datatype,
                    metric.is_historical,
                    reason is DropReason.NULL,
                    _quality(metric.properties) if metric.HasField("properties") else None,
                    reason,
                ),
            )
        )
    return DecodedPayload(payload_timestamp, seq, decoded)


# --- encoding ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Metric:
    """One metric value to encode; ``value=None`` is sent as ``is_null``."""

    datatype: DataType
    value: bool | int | float | str | bytes | None
    name: str | None = None
    alias: int | None = None
    timestamp: int | None = None
    is_historical: bool = False
    quality: int | None = None


_INTEGER_FIELDS: dict[int, tuple[str, int, bool]] = {
    # datatype: (value field, width in bits, signed)
    DataType.Int8: ("int_value", 8, True),
    DataType.Int16: ("int_value", 16, True),
    DataType.Int32: ("int_value", 32, True),
    DataType.Int64: ("long_value", 64, True),
    DataType.UInt8: ("int_value", 8, False),
    DataType.UInt16: ("int_value", 16, False),
    DataType.UInt32: ("int_value", 32, False),
    DataType.UInt64: ("long_value", 64, False),
    DataType.DateTime: ("long_value", 64, False),
}
_OTHER_FIELDS: dict[int, str] = {
    DataType.Float: "float_value",
    DataType.Double: "double_value",
    DataType.Boolean: "boolean_value",
    DataType.String: "string_value",
    DataType.Text: "string_value",
    DataType.UUID: "string_value",
    DataType.Bytes: "bytes_value",
    DataType.File: "bytes_value",
    **{t: "bytes_value" for t in range(DataType.Int8Array, DataType.DateTimeArray + 1)},
}


def _write_value(out: Payload.Metric | Payload.PropertyValue, datatype: int, value: object) -> None:
    """Integers go out as the width-limited two's complement (Int8 -5 as 251)."""
    if datatype in _INTEGER_FIELDS:
        field, bits, signed = _INTEGER_FIELDS[datatype]
        number = int(value)  # type: ignore[call-overload]
        if number != value:
            raise ValueError(f"{DataType(datatype).name} needs an integer, got {value!r}")
        low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        if not low <= number <= high:
            raise ValueError(f"{number} is out of range for {DataType(datatype).name}")
        setattr(out, field, number & ((1 << bits) - 1))
    elif datatype in _OTHER_FIELDS:
        setattr(out, _OTHER_FIELDS[datatype], value)
    else:
        raise ValueError(f"cannot encode a value of datatype {datatype}")


def _write_metric(out: Payload.Metric, metric: Metric) -> None:
    if metric.name is not None:
        out.name = metric.name
    if metric.alias is not None:
        out.alias = metric.alias
    if metric.timestamp is not None:
        out.timestamp = metric.timestamp
    out.datatype = metric.datatype
    if metric.is_historical:
        out.is_historical = True
    if metric.quality is not None:
        out.properties.keys.append(QUALITY_PROPERTY)
        quality = out.properties.values.add(type=DataType.Int32)
        _write_value(quality, DataType.Int32, metric.quality)
    if metric.value is None:
        out.is_null = True
    else:
        _write_value(out, metric.datatype, metric.value)


def encode_payload(
    metrics: Iterable[Metric] = (), *, timestamp: int | None = None, seq: int | None = None
) -> bytes:
    """NDATA, DDATA and DBIRTH payloads (and DDEATH: no metrics). ``seq=0`` is sent."""
    payload = Payload()
    if timestamp is not None:
        payload.timestamp = timestamp
    if seq is not None:
        payload.seq = seq
    for metric in metrics:
        _write_metric(payload.metrics.add(), metric)
    return payload.SerializeToString()


def encode_nbirth(metrics: Iterable[Metric], *, bd_seq: int, timestamp: int, seq: int = 0) -> bytes:
    """NBIRTH: ``bdSeq`` and ``Node Control/Rebirth`` (false, no alias) come first."""
    session = [
        Metric(name=BD_SEQ, datatype=DataType.Int64, value=bd_seq, timestamp=timestamp),
        Metric(name=NODE_REBIRTH, datatype=DataType.Boolean, value=False, timestamp=timestamp),
    ]
    return encode_payload([*session, *metrics], timestamp=timestamp, seq=seq)


def encode_ndeath(bd_seq: int, *, timestamp: int | None = None) -> bytes:
    """NDEATH (usually the MQTT will): the ``bdSeq`` of the session it ends, no seq."""
    return encode_payload(
        [Metric(name=BD_SEQ, datatype=DataType.Int64, value=bd_seq)], timestamp=timestamp
    )


def encode_rebirth_request(*, timestamp: int) -> bytes:
    """NCMD ``Node Control/Rebirth`` = true (no alias, no seq)."""
    return encode_payload(
        [Metric(name=NODE_REBIRTH, datatype=DataType.Boolean, value=True)], timestamp=timestamp
    )


# --- STATE (Sparkplug 3.0: JSON on spBv1.0/STATE/<host_id>) --------------------------------


class HostState(NamedTuple):
    online: bool
    timestamp: int | None


def encode_state(online: bool, *, timestamp: int) -> bytes:
    return json.dumps({"online": online, "timestamp": timestamp}).encode()


def decode_state(data: bytes) -> HostState:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"STATE is not JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("online"), bool):
        raise DecodeError('STATE needs {"online": true|false, ...}')
    timestamp = document.get("timestamp")
    return HostState(document["online"], timestamp if isinstance(timestamp, int) else None)
