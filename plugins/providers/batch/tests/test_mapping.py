"""The column mapping: what it accepts and how it names what the file lacks."""

from __future__ import annotations

import pytest

from openspc_batch.mapping import ColumnMapping, MappingError, parse_mapping


def test_characteristic_comes_from_an_id_or_a_column_not_both() -> None:
    assert parse_mapping(None, 7).characteristic_id == 7
    assert parse_mapping('{"characteristic": "part"}').characteristic == "part"
    with pytest.raises(MappingError, match="either characteristic_id or a characteristic column"):
        parse_mapping("{}")
    with pytest.raises(ValueError, match="either characteristic_id"):
        ColumnMapping.model_validate({"characteristic": "c", "characteristic_id": 1})


def test_the_option_id_overrides_the_mapping_column() -> None:
    mapping = parse_mapping('{"characteristic": "part", "values": ["a", "b"]}', 3)
    assert (mapping.characteristic_id, mapping.characteristic, mapping.values) == (
        3,
        None,
        ["a", "b"],
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "a mapping is a JSON object"),
        ("{nope", "invalid mapping"),
        ('{"characteristic_id": 1, "timezone": "Mars/Olympus"}', "unknown time zone"),
        ('{"characteristic_id": 1, "layout": "diagonal"}', "layout"),
        ('{"characteristic_id": 1, "decimal_comma": true}', "decimal_comma needs another"),
        ('{"characteristic_id": 1, "colour": "red"}', "colour"),
    ],
)
def test_invalid_mappings_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        parse_mapping(text)


def test_wide_values_default_to_every_unmapped_column() -> None:
    mapping = ColumnMapping(characteristic="part", batch_number="lot")
    assert mapping.measurement_columns(["part", "timestamp", "x1", "lot", "x2"]) == ["x1", "x2"]


def test_missing_columns_are_named() -> None:
    mapping = ColumnMapping(characteristic_id=1, layout="long", subgroup="sg", operator="who")
    with pytest.raises(
        MappingError, match=r"'who', 'value', 'sg' not in the file \(its columns: timestamp\)"
    ):
        mapping.check_columns(["timestamp"])
    wide = ColumnMapping(characteristic_id=1)
    with pytest.raises(MappingError, match="no measurement columns"):
        wide.check_columns(["timestamp"])


def test_a_count_column_means_one_attribute_sample_per_row() -> None:
    mapping = parse_mapping('{"characteristic": "part", "count": "D", "size": "n"}')
    assert (mapping.attributes, mapping.layout) == (True, "long")
    assert mapping.mapped_columns() == ["timestamp", "part", "D", "n"]
    again = ColumnMapping.model_validate(mapping.model_dump())  # how a queued job reads it
    assert again == mapping
    cli = parse_mapping('{"characteristic": "part"}', count="defects")
    assert (cli.count, cli.size, cli.layout) == ("defects", None, "long")
    with pytest.raises(MappingError, match=r"'D' not in the file"):
        mapping.check_columns(["timestamp", "part", "n"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"count": "D", "layout": "wide"}', "the wide layout carries measurements"),
        ('{"count": "D", "values": ["a"]}', "values: measurement columns do not go with a count"),
        ('{"count": "D", "value": "v", "subgroup": "s"}', "value, subgroup: measurement"),
        ('{"size": "n"}', "a size column goes with a count column"),
    ],
)
def test_attribute_mappings_that_make_no_sense(text: str, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        parse_mapping(text, 1)
