import math

import pytest

from openspc_sparkplug.codec import (
    BD_SEQ,
    NODE_REBIRTH,
    DataType,
    DecodedMetric,
    DecodeError,
    HostState,
    Metric,
    decode_payload,
    decode_state,
    encode_nbirth,
    encode_ndeath,
    encode_payload,
    encode_rebirth_request,
    encode_state,
)
from openspc_sparkplug.drops import DropReason
from openspc_sparkplug.sparkplug_b_pb2 import Payload

T = 1_700_000_000_000


def roundtrip(datatype: DataType, value: bool | int | float | str | bytes | None) -> DecodedMetric:
    data = encode_payload([Metric(alias=1, datatype=datatype, value=value)], timestamp=T, seq=1)
    (metric,) = decode_payload(data).metrics
    return metric


NUMERIC = [
    (DataType.Int8, -128),
    (DataType.Int8, -5),
    (DataType.Int8, 127),
    (DataType.Int16, -32768),
    (DataType.Int16, 32767),
    (DataType.Int32, -(2**31)),
    (DataType.Int32, 2**31 - 1),
    (DataType.Int64, -(2**63)),
    (DataType.Int64, 2**63 - 1),
    (DataType.UInt8, 255),
    (DataType.UInt16, 65535),
    (DataType.UInt32, 2**32 - 1),
    (DataType.UInt64, 2**64 - 1),
    (DataType.Float, 1.5),
    (DataType.Float, -0.25),
    (DataType.Double, 0.1),
    (DataType.Double, -1e300),
]


@pytest.mark.parametrize(("datatype", "value"), NUMERIC)
def test_numeric_types_roundtrip_to_float(datatype, value):
    metric = roundtrip(datatype, value)
    assert metric.value == float(value)
    assert metric.datatype == datatype
    assert metric.reason is None


@pytest.mark.parametrize(("value", "expected"), [(True, 1.0), (False, 0.0)])
def test_boolean_is_zero_or_one(value, expected):
    assert roundtrip(DataType.Boolean, value).value == expected


@pytest.mark.parametrize(
    ("datatype", "value"),
    [
        (DataType.String, "hello"),
        (DataType.Text, "long text"),
        (DataType.UUID, "1b4e28ba-2fa1-11d2-883f-0016d3cca427"),
        (DataType.Bytes, b"\x00\x01"),
        (DataType.File, b"%PDF"),
        (DataType.DateTime, T),
        (DataType.DoubleArray, b"\x00" * 8),
    ],
)
def test_non_numeric_types_decode_to_none_with_reason(datatype, value):
    metric = roundtrip(datatype, value)
    assert metric.value is None
    assert metric.reason is DropReason.NOT_NUMERIC


def test_dataset_value_is_not_numeric():
    payload = Payload(seq=1)
    metric = payload.metrics.add(alias=1, datatype=DataType.DataSet)
    metric.dataset_value.num_of_columns = 1
    metric.dataset_value.columns.append("x")
    (decoded,) = decode_payload(payload.SerializeToString()).metrics
    assert (decoded.value, decoded.reason) == (None, DropReason.NOT_NUMERIC)


def test_signed_ints_are_sent_width_limited():
    raw = Payload.FromString(encode_payload([Metric(alias=1, datatype=DataType.Int8, value=-5)]))
    assert raw.metrics[0].int_value == 251
    raw = Payload.FromString(encode_payload([Metric(alias=1, datatype=DataType.Int64, value=-1)]))
    assert raw.metrics[0].long_value == 2**64 - 1


def raw_metric(datatype: int, **value) -> bytes:
    payload = Payload(seq=1)
    payload.metrics.add(alias=1, datatype=datatype, **value)
    return payload.SerializeToString()


@pytest.mark.parametrize(
    ("datatype", "field", "wire", "expected"),
    [
        # width-limited two's complement (Python peers)
        (DataType.Int8, "int_value", 251, -5),
        (DataType.Int16, "int_value", 0x8000, -32768),
        (DataType.Int32, "int_value", 0xFFFFFFFF, -1),
        # sign-extended to 32 bits (Java reference)
        (DataType.Int8, "int_value", 0xFFFFFFFF, -1),
        (DataType.Int8, "int_value", 0xFFFFFF80, -128),
        (DataType.Int16, "int_value", 0xFFFF8000, -32768),
        # sign-extended to 64 bits, in long_value
        (DataType.Int32, "long_value", 2**64 - 1, -1),
        (DataType.Int64, "long_value", 2**64 - 5, -5),
        # UInt32: the specification's field and the one the reference implementations use
        (DataType.UInt32, "int_value", 2**32 - 1, 2**32 - 1),
        (DataType.UInt32, "long_value", 2**32 - 1, 2**32 - 1),
        (DataType.UInt8, "int_value", 200, 200),
    ],
)
def test_integer_encodings_in_the_wild(datatype, field, wire, expected):
    (metric,) = decode_payload(raw_metric(datatype, **{field: wire})).metrics
    assert metric.value == expected


def test_seq_zero_and_alias_zero_are_on_the_wire():
    data = encode_payload([Metric(alias=0, datatype=DataType.Double, value=1.0)], seq=0)
    raw = Payload.FromString(data)
    assert raw.HasField("seq") and raw.metrics[0].HasField("alias")
    decoded = decode_payload(data)
    assert decoded.seq == 0
    assert decoded.metrics[0].alias == 0


def test_absent_seq_alias_and_timestamp_decode_as_none():
    decoded = decode_payload(encode_payload([Metric(name="x", datatype=DataType.Double, value=1)]))
    assert decoded.seq is None and decoded.timestamp is None
    (metric,) = decoded.metrics
    assert (metric.name, metric.alias, metric.timestamp) == ("x", None, None)


def test_multiple_values_of_one_metric_are_separate_entries_in_order():
    metrics = [
        Metric(alias=7, datatype=DataType.Double, value=float(i), timestamp=T + i) for i in range(3)
    ]
    decoded = decode_payload(encode_payload(metrics, timestamp=T + 99, seq=4)).metrics
    assert [(m.alias, m.timestamp, m.value) for m in decoded] == [
        (7, T, 0.0),
        (7, T + 1, 1.0),
        (7, T + 2, 2.0),
    ]


def test_metric_timestamp_wins_over_payload_timestamp():
    data = encode_payload(
        [
            Metric(alias=1, datatype=DataType.Double, value=1.0, timestamp=T - 5),
            Metric(alias=2, datatype=DataType.Double, value=2.0),
        ],
        timestamp=T,
        seq=1,
    )
    assert [m.timestamp for m in decode_payload(data).metrics] == [T - 5, T]


@pytest.mark.parametrize("quality", [0, 192, 500, -1])
def test_quality_property(quality):
    data = encode_payload([Metric(alias=1, datatype=DataType.Double, value=1.0, quality=quality)])
    (metric,) = decode_payload(data).metrics
    assert metric.quality == quality
    assert metric.value == 1.0


def test_quality_among_other_properties_and_sign_extended():
    payload = Payload()
    metric = payload.metrics.add(alias=1, datatype=DataType.Double, double_value=1.0)
    metric.properties.keys.extend(["engUnit", "Quality"])
    metric.properties.values.add(type=DataType.String, string_value="mm")
    metric.properties.values.add(type=DataType.Int32, long_value=2**64 - 1)
    (decoded,) = decode_payload(payload.SerializeToString()).metrics
    assert decoded.quality == -1


def test_no_quality_property_is_none():
    assert roundtrip(DataType.Double, 1.0).quality is None


@pytest.mark.parametrize("datatype", [DataType.Float, DataType.Double])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_flagged_not_raised(datatype, value):
    metric = roundtrip(datatype, value)
    assert metric.value is None
    assert metric.reason is DropReason.NON_FINITE


def test_null_and_missing_values():
    null = roundtrip(DataType.Double, None)
    assert (null.value, null.is_null, null.reason) == (None, True, DropReason.NULL)
    (missing,) = decode_payload(raw_metric(DataType.Double)).metrics
    assert (missing.value, missing.is_null, missing.reason) == (None, False, DropReason.NO_VALUE)


@pytest.mark.parametrize(
    ("datatype", "value"),
    [
        (DataType.Double, {"string_value": "1.0"}),
        (DataType.Int32, {"double_value": 1.0}),
        (DataType.Boolean, {"int_value": 1}),
    ],
)
def test_value_field_that_does_not_fit_the_datatype(datatype, value):
    (metric,) = decode_payload(raw_metric(datatype, **value)).metrics
    assert (metric.value, metric.reason) == (None, DropReason.WRONG_TYPE)


def untyped(**value) -> bytes:
    payload = Payload(seq=1)
    payload.metrics.add(alias=3, **value)
    return payload.SerializeToString()


def test_without_datatype_floats_and_booleans_decode_integers_do_not():
    assert decode_payload(untyped(double_value=2.5)).metrics[0].value == 2.5
    assert decode_payload(untyped(boolean_value=True)).metrics[0].value == 1.0
    (integer,) = decode_payload(untyped(int_value=251)).metrics
    assert (integer.value, integer.reason) == (None, DropReason.UNKNOWN_TYPE)
    assert integer.datatype == DataType.Unknown


def test_datatype_lookup_is_used_only_when_the_metric_has_none():
    asked = []

    def lookup(name, alias):
        asked.append((name, alias))
        return DataType.Int8

    assert decode_payload(untyped(int_value=251), lookup).metrics[0].value == -5
    typed = encode_payload([Metric(alias=4, datatype=DataType.UInt8, value=251)])
    assert decode_payload(typed, lookup).metrics[0].value == 251
    assert asked == [(None, 3)]


def test_unknown_datatype_number_is_kept():
    (metric,) = decode_payload(raw_metric(99, double_value=1.0)).metrics
    assert (metric.datatype, metric.value) == (99, 1.0)


def test_invalid_utf8_in_a_name_is_replaced_not_raised():
    inner = b"\x0a\x02\xff\xfe"  # Metric.name = b"\xff\xfe"
    (metric,) = decode_payload(b"\x12" + bytes([len(inner)]) + inner).metrics
    assert metric.name == "\ufffd\ufffd"


@pytest.mark.parametrize(
    "data",
    [
        b"\xff",  # field 31, wire type 7: invalid
        b"\x12\x05ab",  # metric claims 5 bytes, has 2
        b"\x08\x80",  # truncated varint
        b"\x12\x03\x0a\x05a",  # metric name longer than the metric
        b"\x0b",  # start group without end
    ],
)
def test_garbage_raises_decode_error(data):
    with pytest.raises(DecodeError):
        decode_payload(data)


def test_every_truncation_decodes_or_raises_decode_error():
    data = encode_nbirth(
        [Metric(name="Cell 1/Torque", alias=0, datatype=DataType.Double, value=12.5, quality=192)],
        bd_seq=3,
        timestamp=T,
    )
    errors = 0
    for end in range(len(data)):
        try:
            decode_payload(data[:end])
        except DecodeError:
            errors += 1
    assert errors > len(data) // 2


def test_nbirth_carries_bdseq_and_rebirth_metric_first():
    data = encode_nbirth(
        [Metric(name="x", alias=0, datatype=DataType.Double, value=1.0)], bd_seq=7, timestamp=T
    )
    decoded = decode_payload(data)
    assert decoded.seq == 0 and decoded.timestamp == T
    bd_seq, rebirth, x = decoded.metrics
    assert (bd_seq.name, bd_seq.datatype, bd_seq.value) == (BD_SEQ, DataType.Int64, 7.0)
    assert (rebirth.name, rebirth.alias, rebirth.datatype, rebirth.value) == (
        NODE_REBIRTH,
        None,
        DataType.Boolean,
        0.0,
    )
    assert (x.name, x.alias) == ("x", 0)


def test_ndeath_has_bdseq_and_no_seq():
    decoded = decode_payload(encode_ndeath(4))
    assert decoded.seq is None
    assert [(m.name, m.value) for m in decoded.metrics] == [(BD_SEQ, 4.0)]


def test_rebirth_request():
    decoded = decode_payload(encode_rebirth_request(timestamp=T))
    assert decoded.seq is None and decoded.timestamp == T
    (metric,) = decoded.metrics
    assert (metric.name, metric.alias, metric.datatype, metric.value) == (
        NODE_REBIRTH,
        None,
        DataType.Boolean,
        1.0,
    )


@pytest.mark.parametrize(
    ("datatype", "value"),
    [
        (DataType.Int8, 128),
        (DataType.Int8, -129),
        (DataType.UInt8, -1),
        (DataType.UInt32, 2**32),
        (DataType.Int32, 1.5),
        (DataType.Unknown, 1),
    ],
)
def test_encoder_rejects_values_that_do_not_fit(datatype, value):
    with pytest.raises(ValueError):
        encode_payload([Metric(alias=1, datatype=datatype, value=value)])


def test_state_roundtrip_and_errors():
    assert decode_state(encode_state(True, timestamp=T)) == HostState(True, T)
    assert decode_state(b'{"online": false}') == HostState(False, None)
    for bad in (b"ONLINE", b'{"online": "yes"}', b"[]", b"\xff"):
        with pytest.raises(DecodeError):
            decode_state(bad)
