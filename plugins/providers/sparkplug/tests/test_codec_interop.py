"""Interoperability against an independent protobuf writer and reader.

The bytes here are built (and read) by hand from the field numbers of the Sparkplug B
specification, without the generated code, so a wrong field number or wire type in our
schema would fail these tests.
"""

import struct

from openspc_sparkplug.codec import (
    NODE_REBIRTH,
    DataType,
    Metric,
    decode_payload,
    encode_nbirth,
    encode_payload,
)

T = 1_700_000_000_000
VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number: int, wire_type: int, value: int | bytes) -> bytes:
    key = varint(number << 3 | wire_type)
    if isinstance(value, int):
        assert wire_type == VARINT
        return key + varint(value)
    if wire_type == LEN:
        return key + varint(len(value)) + value
    return key + value  # fixed32/fixed64: already packed


Field = tuple[int, int, int | bytes]


def read_fields(data: bytes) -> list[Field]:
    """(field number, wire type, value) of one message level, in wire order."""

    def read_varint(position: int) -> tuple[int, int]:
        result = shift = 0
        while True:
            byte = data[position]
            position += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result, position

    fields: list[Field] = []
    position = 0
    while position < len(data):
        key, position = read_varint(position)
        number, wire_type = key >> 3, key & 7
        value: int | bytes
        if wire_type == VARINT:
            value, position = read_varint(position)
        elif wire_type == LEN:
            length, position = read_varint(position)
            value, position = data[position : position + length], position + length
        elif wire_type == FIXED64:
            value, position = data[position : position + 8], position + 8
        else:
            value, position = data[position : position + 4], position + 4
        fields.append((number, wire_type, value))
    return fields


def read_metrics(top: list[Field]) -> list[list[Field]]:
    return [
        read_fields(value) for number, _, value in top if number == 2 and isinstance(value, bytes)
    ]


# Metric field numbers (Sparkplug B specification)
NAME, ALIAS, TIMESTAMP, DATATYPE, IS_HISTORICAL, IS_NULL, PROPERTIES = 1, 2, 3, 4, 5, 7, 9
INT_VALUE, LONG_VALUE, FLOAT_VALUE, DOUBLE_VALUE, BOOLEAN_VALUE = 10, 11, 12, 13, 14


def metric(*fields: bytes) -> bytes:
    return field(2, LEN, b"".join(fields))


def test_decodes_a_hand_built_ndata():
    quality = field(1, LEN, b"Quality") + field(
        2, LEN, field(1, VARINT, DataType.Int32) + field(3, VARINT, 500)
    )
    data = b"".join(
        [
            field(1, VARINT, T),
            metric(  # Java-style Int8 -1: sign-extended to 32 bits
                field(ALIAS, VARINT, 0),
                field(DATATYPE, VARINT, DataType.Int8),
                field(INT_VALUE, VARINT, 0xFFFFFFFF),
            ),
            metric(  # UInt32 in long_value, own timestamp, historical
                field(ALIAS, VARINT, 1),
                field(TIMESTAMP, VARINT, T - 1000),
                field(DATATYPE, VARINT, DataType.UInt32),
                field(IS_HISTORICAL, VARINT, 1),
                field(LONG_VALUE, VARINT, 4_000_000_000),
            ),
            metric(
                field(NAME, LEN, b"Cell 1/Fill Weight"),
                field(DATATYPE, VARINT, DataType.Float),
                field(FLOAT_VALUE, FIXED32, struct.pack("<f", 499.5)),
                field(PROPERTIES, LEN, quality),
            ),
            metric(
                field(ALIAS, VARINT, 3),
                field(DATATYPE, VARINT, DataType.Double),
                field(DOUBLE_VALUE, FIXED64, struct.pack("<d", -0.125)),
            ),
            metric(
                field(ALIAS, VARINT, 4),
                field(DATATYPE, VARINT, DataType.Boolean),
                field(BOOLEAN_VALUE, VARINT, 1),
            ),
            metric(field(ALIAS, VARINT, 5), field(DATATYPE, VARINT, 10), field(IS_NULL, VARINT, 1)),
            field(3, VARINT, 0),  # seq = 0
        ]
    )
    decoded = decode_payload(data)
    assert (decoded.timestamp, decoded.seq) == (T, 0)
    assert [(m.name, m.alias, m.timestamp, m.value, m.is_historical) for m in decoded.metrics] == [
        (None, 0, T, -1.0, False),
        (None, 1, T - 1000, 4_000_000_000.0, True),
        ("Cell 1/Fill Weight", None, T, 499.5, False),
        (None, 3, T, -0.125, False),
        (None, 4, T, 1.0, False),
        (None, 5, T, None, False),
    ]
    assert decoded.metrics[2].quality == 500
    assert decoded.metrics[5].is_null


def test_our_nbirth_reads_back_with_an_independent_reader():
    data = encode_nbirth(
        [Metric(name="Torque", alias=0, datatype=DataType.Int8, value=-5, timestamp=T)],
        bd_seq=2,
        timestamp=T,
    )
    top = read_fields(data)
    assert (1, VARINT, T) in top
    assert (3, VARINT, 0) in top  # seq = 0 is on the wire
    bd_seq, rebirth, torque = read_metrics(top)
    assert (NAME, LEN, b"bdSeq") in bd_seq and (LONG_VALUE, VARINT, 2) in bd_seq
    assert (DATATYPE, VARINT, DataType.Int64) in bd_seq
    assert (NAME, LEN, NODE_REBIRTH.encode()) in rebirth
    assert (BOOLEAN_VALUE, VARINT, 0) in rebirth
    assert not any(number == ALIAS for number, _, _ in rebirth)
    assert (ALIAS, VARINT, 0) in torque  # alias = 0 is on the wire
    assert (INT_VALUE, VARINT, 251) in torque  # width-limited two's complement
    assert (DATATYPE, VARINT, DataType.Int8) in torque


def test_our_floats_and_historical_flag_read_back():
    data = encode_payload(
        [
            Metric(alias=9, datatype=DataType.Float, value=0.5, is_historical=True, timestamp=T),
            Metric(alias=10, datatype=DataType.Double, value=2.25),
        ],
        seq=255,
    )
    top = read_fields(data)
    assert (3, VARINT, 255) in top
    first, second = read_metrics(top)
    assert (FLOAT_VALUE, FIXED32, struct.pack("<f", 0.5)) in first
    assert (IS_HISTORICAL, VARINT, 1) in first and (TIMESTAMP, VARINT, T) in first
    assert (DOUBLE_VALUE, FIXED64, struct.pack("<d", 2.25)) in second
