import pytest

from openspc_sparkplug.drops import DropReason
from openspc_sparkplug.plain import PlainValue, parse_plain


@pytest.mark.parametrize(
    ("payload", "value"),
    [(b"12.5", 12.5), (b" -3 ", -3.0), (b"1e3", 1000.0), (b"0", 0.0)],
)
def test_a_number_payload(payload, value):
    assert parse_plain(payload, [None]) == (None, [PlainValue(value, None)])


def test_json_fields_by_key_then_dotted_path():
    payload = b'{"timestamp": 1767225600000, "a.b": 1, "a": {"b": 2, "c": [5, 6]}, "x": 3}'
    parsed = parse_plain(payload, ["a.b", "a.c.1", "x", "a.c.7", "missing"])
    assert parsed.timestamp == 1_767_225_600_000
    assert parsed.values == [
        PlainValue(1.0, None),
        PlainValue(6.0, None),
        PlainValue(3.0, None),
        PlainValue(None, DropReason.NO_VALUE),
        PlainValue(None, DropReason.NO_VALUE),
    ]


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        (b"\xff\xfe", None, DropReason.MALFORMED),
        (b"twelve", None, DropReason.MALFORMED),
        (b'{"v": 1', "v", DropReason.MALFORMED),
        (b'"12"', None, DropReason.WRONG_TYPE),
        (b"true", None, DropReason.WRONG_TYPE),
        (b'{"v": 1}', None, DropReason.WRONG_TYPE),
        (b'{"v": "1"}', "v", DropReason.WRONG_TYPE),
        (b'{"v": [1]}', "v", DropReason.WRONG_TYPE),
        (b'{"v": null}', "v", DropReason.NULL),
        (b"NaN", None, DropReason.NON_FINITE),
        (b'{"v": -Infinity}', "v", DropReason.NON_FINITE),
        (b"[1, 2]", "0", DropReason.NO_VALUE),  # fields are looked up in objects only
    ],
)
def test_what_is_not_a_measurement(payload, field, reason):
    assert parse_plain(payload, [field]).values == [PlainValue(None, reason)]


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ('"2026-01-01T00:00:00.250Z"', 1_767_225_600_250),
        ('"2026-01-01T01:00:00+01:00"', 1_767_225_600_000),
        ('"2026-01-01T00:00:00"', 1_767_225_600_000),  # no offset: UTC
        ("1767225600000.9", 1_767_225_600_000),
    ],
)
def test_the_document_timestamp(timestamp, expected):
    assert (
        parse_plain(f'{{"timestamp": {timestamp}, "v": 1}}'.encode(), ["v"]).timestamp == expected
    )


@pytest.mark.parametrize("timestamp", ['"yesterday"', "true", "-5", "1e300", "null", "{}"])
def test_an_unusable_timestamp_makes_the_document_malformed(timestamp):
    parsed = parse_plain(f'{{"timestamp": {timestamp}, "v": 1}}'.encode(), ["v", "w"])
    assert parsed.values == [PlainValue(None, DropReason.MALFORMED)] * 2
