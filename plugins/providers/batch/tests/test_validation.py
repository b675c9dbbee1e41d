"""Every kind of bad row gets its reason and line; the rest comes out in time order."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from openspc_batch.mapping import ColumnMapping
from openspc_batch.source import chunks, open_table
from openspc_batch.validation import Target, Validator

TARGETS = {1: Target(1, "xbar_r", 2, True), 2: Target(2, "imr", 1, False)}


def lookup(ids: Collection[int]) -> dict[int, Target]:
    return {i: TARGETS[i] for i in ids if i in TARGETS}


def validate(
    path: Path, mapping: ColumnMapping, chunk_rows: int
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    validator = Validator(mapping, lookup)
    accepted, rejected = [], []
    for chunk in chunks(open_table(path, mapping), mapping, chunk_rows, validator.sizes):
        checked = validator(chunk.subgroups)
        accepted += checked.accepted.to_dicts()
        rejected += checked.rejected.rows()
    return accepted, rejected


def t(minute: int) -> str:
    return f"2026-01-01T10:{minute:02d}:00Z"


def test_every_kind_of_bad_row(write: Callable[..., Path]) -> None:
    rows = [
        ("gauge", t(0), "1.0", "2.0"),  # 2: the name maps to characteristic 1
        ("1", t(1), "1.0", "2.0"),  # 3
        ("9", t(2), "1.0", "2.0"),  # 4: no characteristic 9
        ("lathe", t(2), "1.0", "2.0"),  # 5: not mapped, not an id
        ("", t(2), "1.0", "2.0"),  # 6
        ("1", "noon", "1.0", "2.0"),  # 7
        ("1", "", "1.0", "2.0"),  # 8
        ("1", t(3), "1.0", "abc"),  # 9
        ("1", t(4), "nan", "2.0"),  # 10
        ("1", t(5), "1.0", "-inf"),  # 11
        ("1", t(6), "1.0", ""),  # 12: one measurement, the size is 2
        ("2", t(6), "1.0", "2.0"),  # 13: two, the size is 1
        ("1", t(1), "5.0", "6.0"),  # 14: same characteristic and time as line 3
        ("2", t(7), "1.0", ""),  # 15
        ("1", t(9), "1.0", "2.0"),  # 16
        ("2", t(8), "3.0", ""),  # 17
        ("1", t(8), "1.0", "2.0"),  # 18: earlier than line 16, in an earlier chunk
        ("1", t(1), "1.0", "2.0"),  # 19: duplicate of line 3, in an earlier chunk
        ("2", t(7), "1.0", ""),  # 20: duplicate of line 15
    ]
    columns = ["part", "timestamp", "a", "b"]
    path = write("bad.csv", {c: [r[i] for r in rows] for i, c in enumerate(columns)})
    mapping = ColumnMapping(
        characteristic="part", characteristics={"gauge": 1, "1": 1, "2": 2, "9": 9}
    )
    accepted, rejected = validate(path, mapping, chunk_rows=16)
    assert rejected == [
        (4, "unknown characteristic '9'"),
        (5, "unknown characteristic 'lathe'"),
        (6, "missing characteristic"),
        (7, "unparseable timestamp 'noon'"),
        (8, "missing timestamp"),
        (9, "b 'abc' is not a number"),
        (10, "a 'nan' is not a finite number"),
        (11, "b '-inf' is not a finite number"),
        (12, "expected 2 measurements, got 1"),
        (13, "expected 1 measurements, got 2"),
        (14, "duplicate of line 3"),
        (
            18,
            "earlier than line 16 of the same characteristic: a file larger than one chunk must be in time order per characteristic",
        ),
        (19, "duplicate of line 3"),
        (20, "duplicate of line 15"),
    ]
    assert [(a["line"], a["cid"], a["measurements"]) for a in accepted] == [
        (2, 1, [1.0, 2.0]),
        (3, 1, [1.0, 2.0]),
        (16, 1, [1.0, 2.0]),  # the first chunk: in time order per characteristic
        (15, 2, [1.0]),
        (17, 2, [3.0]),
    ]


def test_a_chunk_is_put_in_time_order_per_characteristic(write: Callable[..., Path]) -> None:
    minutes = [5, 1, 4, 2, 3]
    path = write(
        "shuffled.csv", {"timestamp": [t(m) for m in minutes], "x": [float(m) for m in minutes]}
    )
    accepted, rejected = validate(path, ColumnMapping(characteristic_id=2), chunk_rows=100)
    assert rejected == []
    assert [a["measurements"] for a in accepted] == [[1.0], [2.0], [3.0], [4.0], [5.0]]
    assert [a["line"] for a in accepted] == [3, 5, 6, 4, 2]


def test_a_long_row_problem_names_the_row(write: Callable[..., Path]) -> None:
    path = write(
        "long.csv",
        {"timestamp": [t(0), t(0), t(1), t(1), t(2)], "value": ["1", "x", "2", "", "4"]},
    )
    accepted, rejected = validate(
        path, ColumnMapping(characteristic_id=1, layout="long"), chunk_rows=2
    )
    assert rejected == [
        (3, "value 'x' is not a number"),
        (5, "value is missing"),
        (6, "expected 2 measurements, got 1"),
    ]
    assert accepted == []
