"""Property tests: any bytes decode to a valid result or raise DecodeError, nothing else."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from openspc_sparkplug.codec import (
    DataType,
    DecodedPayload,
    DecodeError,
    Metric,
    decode_payload,
    encode_payload,
)
from openspc_sparkplug.host import SparkplugHost
from openspc_sparkplug.topics import MessageType, Topic

fuzz = settings(max_examples=200, deadline=None, database=None)

NUMERIC_VALUES = {
    DataType.Int8: st.integers(-(2**7), 2**7 - 1),
    DataType.Int16: st.integers(-(2**15), 2**15 - 1),
    DataType.Int32: st.integers(-(2**31), 2**31 - 1),
    DataType.Int64: st.integers(-(2**63), 2**63 - 1),
    DataType.UInt8: st.integers(0, 2**8 - 1),
    DataType.UInt16: st.integers(0, 2**16 - 1),
    DataType.UInt32: st.integers(0, 2**32 - 1),
    DataType.UInt64: st.integers(0, 2**64 - 1),
    DataType.Float: st.floats(width=32),
    DataType.Double: st.floats(),
    DataType.Boolean: st.booleans(),
}
OTHER_VALUES = {
    DataType.String: st.text(max_size=20),
    DataType.Bytes: st.binary(max_size=20),
}
typed_values = st.one_of(
    [
        st.tuples(st.just(datatype), st.none() | values)
        for datatype, values in {**NUMERIC_VALUES, **OTHER_VALUES}.items()
    ]
)
metrics = st.builds(
    lambda typed, name, alias, timestamp, historical, quality: Metric(
        datatype=typed[0],
        value=typed[1],
        name=name,
        alias=alias,
        timestamp=timestamp,
        is_historical=historical,
        quality=quality,
    ),
    typed_values,
    st.none() | st.text(min_size=1, max_size=20),
    st.none() | st.integers(0, 2**64 - 1),
    st.none() | st.integers(1, 2**64 - 1),
    st.booleans(),
    st.none() | st.integers(-(2**31), 2**31 - 1),
)
payloads = st.builds(
    lambda items, timestamp, seq: (items, encode_payload(items, timestamp=timestamp, seq=seq)),
    st.lists(metrics, max_size=6),
    st.none() | st.integers(0, 2**64 - 1),
    st.none() | st.integers(0, 255),
)


@st.composite
def mutated_payloads(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(payloads)[1])
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        operation = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        if operation == "flip" and position < len(data):
            data[position] ^= draw(st.integers(1, 255))
        elif operation == "truncate":
            del data[position:]
        elif operation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[position : position + draw(st.integers(1, 8))]
    return bytes(data)


def assert_decodes_or_decode_error(data: bytes) -> None:
    try:
        decoded = decode_payload(data)
    except DecodeError:
        return
    assert isinstance(decoded, DecodedPayload)
    for metric in decoded.metrics:
        assert metric.value is None or math.isfinite(metric.value)
        assert (metric.value is None) == (metric.reason is not None)
        assert metric.name is None or isinstance(metric.name, str)


@fuzz
@given(payloads)
def test_valid_payloads_roundtrip(case):
    items, data = case
    decoded = decode_payload(data).metrics
    assert len(decoded) == len(items)
    for sent, received in zip(items, decoded, strict=True):
        assert (received.alias, received.is_historical, received.quality) == (
            sent.alias,
            sent.is_historical,
            sent.quality,
        )
        usable = sent.value is not None and sent.datatype in NUMERIC_VALUES
        if usable and math.isfinite(float(sent.value)):
            assert received.value == float(sent.value)
        else:
            assert received.value is None and received.reason is not None


@fuzz
@given(st.binary(max_size=200))
def test_random_bytes(data):
    assert_decodes_or_decode_error(data)


@fuzz
@given(mutated_payloads())
def test_mutated_payloads(data):
    assert_decodes_or_decode_error(data)


HOST_TOPICS = [
    str(Topic("G", MessageType.NBIRTH, "N")),
    str(Topic("G", MessageType.NDATA, "N")),
    str(Topic("G", MessageType.NDEATH, "N")),
    str(Topic("G", MessageType.DBIRTH, "N", "D")),
    str(Topic("G", MessageType.DDATA, "N", "D")),
]


@settings(fuzz, max_examples=75)
@given(st.lists(st.tuples(st.sampled_from(HOST_TOPICS), mutated_payloads()), max_size=8))
def test_host_survives_any_message_sequence(messages):
    host = SparkplugHost(reorder_timeout=1.0)
    now = 1_700_000_000.0
    for topic, data in messages:
        now += 0.3
        for step in (host.receive(topic, data, now), host.tick(now)):
            assert all(math.isfinite(value.value) for value in step.values)
