"""Reading files: both layouts, CSV and Parquet, chunk boundaries, line numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from openspc_batch.mapping import ColumnMapping, MappingError
from openspc_batch.source import SourceError, chunks, open_table

TIMES = [f"2026-01-01T00:0{i}:00Z" for i in range(5)]


def read(
    path: Path, mapping: ColumnMapping, chunk_rows: int = 1000, size: int = 3
) -> tuple[list[int], list[dict[str, Any]]]:
    """Rows read per chunk, and the subgroups in line order (every characteristic has
    subgroups of ``size``)."""
    table = open_table(path, mapping)
    parts = list(chunks(table, mapping, chunk_rows, lambda keys: pl.Series([size] * len(keys))))
    frame = pl.concat([p.subgroups for p in parts]).sort("line")
    return [p.rows for p in parts], frame.drop("ts").to_dicts()


def test_wide_csv_and_parquet_give_the_same_subgroups(write: Callable[..., Path]) -> None:
    columns = {
        "part": ["A", "B", "A"],
        "timestamp": TIMES[:3],
        "x1": [1.0, 2.0, 3.0],
        "x2": [1.5, None, 3.5],
        "lot": ["L1", "L2", None],
        "who": ["ann", None, "bob"],
    }
    mapping = ColumnMapping(characteristic="part", batch_number="lot", operator="who")
    _, csv = read(write("f.csv", columns), mapping)
    _, parquet = read(write("f.parquet", columns), mapping)
    assert [r["line"] for r in csv] == [2, 3, 4]  # the header is line 1
    assert [r["line"] for r in parquet] == [1, 2, 3]
    for rows in (csv, parquet):
        assert [
            (r["key"], r["measurements"], r["batch_number"], r["operator_id"]) for r in rows
        ] == [
            ("A", [1.0, 1.5], "L1", "ann"),
            ("B", [2.0], "L2", None),  # an empty cell is an absent measurement
            ("A", [3.0, 3.5], None, "bob"),
        ]
        assert all(r["bad"] is None and r["ts_reason"] is None for r in rows)


def test_long_subgroups_wait_for_their_rows_across_chunks(write: Callable[..., Path]) -> None:
    # two characteristics measured at the same times, their rows interleaved, read 4 rows at
    # a time; the last subgroup of B lacks a row, one of A has a row far down the file
    rows = [(c, t, v) for t in TIMES[:3] for v in (1.0, 2.0, 3.0) for c in ("A", "B")]
    late = rows.pop(0)  # A's value 1.0 at TIMES[0]
    rows.pop()  # B's last value
    rows.append(late)
    path = write(
        "long.csv",
        {
            "part": [c for c, _, _ in rows],
            "timestamp": [t for _, t, _ in rows],
            "value": [v for *_, v in rows],
        },
    )
    mapping = ColumnMapping(characteristic="part", layout="long")
    read_rows, subgroups = read(path, mapping, chunk_rows=4)
    assert sum(read_rows) == len(rows) == 17
    assert [(r["line"], r["key"], r["measurements"]) for r in subgroups] == [
        (2, "B", [1.0, 2.0, 3.0]),
        (3, "A", [2.0, 3.0, 1.0]),  # in row order: the late row (line 18) came last
        (7, "A", [1.0, 2.0, 3.0]),
        (8, "B", [1.0, 2.0, 3.0]),
        (13, "A", [1.0, 2.0, 3.0]),
        (14, "B", [1.0, 2.0]),  # still short at the end of the file
    ]


def test_long_subgroup_column_and_value_problems_name_their_line(
    write: Callable[..., Path],
) -> None:
    path = write(
        "long.parquet",
        {
            "c": ["7"] * 6,
            "t": [TIMES[0]] * 3 + [TIMES[1]] * 3,
            "sg": ["a", "a", "b", "b", "b", "a"],
            "v": [1.0, 2.0, 3.0, float("inf"), 5.0, None],
        },
    )
    mapping = ColumnMapping(
        characteristic="c", layout="long", timestamp="t", subgroup="sg", value="v"
    )
    _, subgroups = read(path, mapping)
    assert [(r["line"], r["measurements"], r["bad"], r["bad_line"]) for r in subgroups] == [
        (1, [1.0, 2.0], "v is missing", 6),
        (3, [3.0, float("inf"), 5.0], "v 'inf' is not a finite number", 4),
    ]


def test_text_cells_that_are_not_numbers_are_reported(write: Callable[..., Path]) -> None:
    path = write(
        "semi.csv",
        {"timestamp": TIMES[:3], "a": ["1,5", "x", "inf"], "b": ["2", "2,25", "3"]},
        separator=";",
    )
    mapping = ColumnMapping(characteristic_id=1, separator=";", decimal_comma=True)
    _, subgroups = read(path, mapping)
    assert [(r["measurements"], r["bad"]) for r in subgroups][:2] == [
        ([1.5, 2.0], None),
        ([2.25], "a 'x' is not a number"),
    ]
    assert subgroups[2]["bad"] == "a 'inf' is not a finite number"


def test_files_that_cannot_be_read(tmp_path: Path, write: Callable[..., Path]) -> None:
    mapping = ColumnMapping(characteristic_id=1)
    dates = write("dates.parquet", {"timestamp": TIMES[:1], "x": [date(2026, 1, 1)]})
    with pytest.raises(MappingError, match="column 'x' holds Date, not numbers"):
        open_table(dates, mapping)
    with pytest.raises(SourceError, match="unknown file type"):
        open_table(tmp_path / "data.xlsx", mapping)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(SourceError, match="cannot be read as parquet"):
        open_table(broken, mapping)
