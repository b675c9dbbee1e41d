"""An independent Sparkplug B payload reader (and the one command the tests send), written
against the protobuf wire format only: varints, 64-bit, length-delimited and 32-bit fields.
It shares nothing with the plugin's codec or the generated ``sparkplug_b_pb2``, so a test
that reads a message with it checks what is really on the wire (including field presence:
``seq = 0`` must be there)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5

# Payload and Metric field numbers (Sparkplug B, org.eclipse.tahu.protobuf)
PAYLOAD_FIELDS = {1: "timestamp", 2: "metrics", 3: "seq"}
METRIC_FIELDS = {
    1: "name",
    2: "alias",
    3: "timestamp",
    4: "datatype",
    7: "is_null",
    10: "int_value",
    11: "long_value",
    12: "float_value",
    13: "double_value",
    14: "boolean_value",
    15: "string_value",
}
INT64, BOOLEAN, INT32, DOUBLE, STRING = 4, 11, 3, 10, 12


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def read_fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, raw value) in wire order."""
    out: list[tuple[int, int, Any]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire_type = key >> 3, key & 7
        value: Any
        if wire_type == VARINT:
            value, pos = _varint(data, pos)
        elif wire_type == FIXED64:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire_type == LENGTH:
            size, pos = _varint(data, pos)
            value, pos = data[pos : pos + size], pos + size
        elif wire_type == FIXED32:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unexpected wire type {wire_type}")
        out.append((number, wire_type, value))
    return out


@dataclass
class WireMetric:
    fields: dict[str, Any] = field(default_factory=dict)  # only those on the wire

    @property
    def name(self) -> str | None:
        return self.fields.get("name")

    @property
    def alias(self) -> int | None:
        return self.fields.get("alias")

    @property
    def datatype(self) -> int | None:
        return self.fields.get("datatype")

    @property
    def value(self) -> Any:
        """The value as the datatype says (None when ``is_null``)."""
        if self.fields.get("is_null"):
            return None
        for key in ("double_value", "boolean_value", "string_value", "int_value", "long_value"):
            if key in self.fields:
                return self.fields[key]
        raise AssertionError(f"no value in {self.fields}")


@dataclass
class WirePayload:
    fields: dict[str, Any]
    metrics: list[WireMetric]

    @property
    def seq(self) -> int | None:
        return self.fields.get("seq")

    def by_name(self) -> dict[str, WireMetric]:
        return {m.name: m for m in self.metrics if m.name is not None}

    def by_alias(self) -> dict[int, list[Any]]:
        """Values per alias, in order (one metric may carry several values)."""
        out: dict[int, list[Any]] = {}
        for m in self.metrics:
            assert m.alias is not None, f"NDATA metric without alias: {m.fields}"
            out.setdefault(m.alias, []).append(m.value)
        return out


def _metric(data: bytes) -> WireMetric:
    metric = WireMetric()
    for number, _, raw in read_fields(data):
        key = METRIC_FIELDS.get(number)
        if key is None:
            continue
        if key in ("name", "string_value"):
            metric.fields[key] = raw.decode()
        elif key == "double_value":
            metric.fields[key] = struct.unpack("<d", raw)[0]
        elif key == "float_value":
            metric.fields[key] = struct.unpack("<f", raw)[0]
        elif key in ("boolean_value", "is_null"):
            metric.fields[key] = bool(raw)
        else:
            metric.fields[key] = raw
    if metric.datatype == INT32 and "int_value" in metric.fields:  # two's complement, 32 bits
        v = metric.fields["int_value"] & 0xFFFFFFFF
        metric.fields["int_value"] = v - (1 << 32) if v >= 1 << 31 else v
    return metric


def parse(data: bytes) -> WirePayload:
    fields: dict[str, Any] = {}
    metrics = []
    for number, _, raw in read_fields(data):
        key = PAYLOAD_FIELDS.get(number)
        if key == "metrics":
            metrics.append(_metric(raw))
        elif key is not None:
            fields[key] = raw
    return WirePayload(fields, metrics)


# --- writing the rebirth command -----------------------------------------------------------


def _write_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, wire_type: int, value: int | bytes) -> bytes:
    key = _write_varint(number << 3 | wire_type)
    if isinstance(value, bytes):
        return key + _write_varint(len(value)) + value
    return key + _write_varint(value)


def rebirth_command(timestamp: int) -> bytes:
    """NCMD payload: ``Node Control/Rebirth`` (Boolean) = true, no alias, no seq."""
    metric = (
        _field(1, LENGTH, b"Node Control/Rebirth")
        + _field(4, VARINT, BOOLEAN)
        + _field(14, VARINT, 1)
    )
    return _field(1, VARINT, timestamp) + _field(2, LENGTH, metric)
