"""A CSV or Parquet file as a lazily scanned table, read in chunks of subgroups.

The file is never loaded whole: Polars scans it lazily, projects the mapped columns, parses
them (numbers, timestamps) in its streaming engine and hands over ``chunk_rows`` rows at a
time. Each chunk becomes a frame of subgroups in one shape for both layouts:

``line``           line of the subgroup's (first) row: CSV lines count the header as line 1,
                   Parquet rows count from 1
``key``            the characteristic as written in the file (or the mapped id)
``ts``             UTC timestamp, null when unusable, and ``ts_reason`` why
``measurements``   the numbers read, in column (wide) or row (long) order (none for
                   attribute samples)
``count``, ``size``  attribute samples: the count and the sample size (null: the
                   characteristic's); null for measurements
``bad``            what is wrong with a measurement cell (not a number, not finite; in
                   the long layout also missing) or a count or size cell, if anything, and
                   ``bad_line``
``batch_number``, ``operator_id``  text or null

In the long layout the rows of a subgroup may be anywhere in the file: a subgroup with fewer
rows than its characteristic's subgroup size is held back until its other rows come.
Attribute samples (a ``count`` column) are one row each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from openspc_batch.mapping import ColumnMapping, MappingError
from openspc_batch.timestamps import utc_timestamps

FileKind = Literal["csv", "parquet"]
SUFFIXES: dict[str, FileKind] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
SUBGROUP_COLUMNS = (
    "line",
    "key",
    "ts",
    "ts_reason",
    "measurements",
    "count",
    "size",
    "bad",
    "bad_line",
    "batch_number",
    "operator_id",
)
_ROW = "__openspc_row"
Sizes = Callable[[pl.Series], pl.Series]


class SourceError(ValueError):
    """The file cannot be read as the table it claims to be."""


@dataclass(frozen=True)
class Table:
    """A file opened lazily, with its row count and the line number of its first data row."""

    path: Path
    kind: FileKind
    lazy: pl.LazyFrame
    rows: int
    first_line: int


@dataclass(frozen=True)
class Chunk:
    """Subgroups read from the next ``rows`` rows of the file."""

    rows: int
    subgroups: pl.DataFrame


def file_kind(path: Path, kind: FileKind | None = None) -> FileKind:
    if kind is not None:
        return kind
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise SourceError(f"{path.name}: unknown file type (expected {', '.join(SUFFIXES)})")
    return found


def open_table(path: Path, mapping: ColumnMapping, kind: FileKind | None = None) -> Table:
    """Scan a file lazily and check the mapping against its columns."""
    kind = file_kind(path, kind)
    try:
        if kind == "csv":
            lazy = pl.scan_csv(
                path, separator=mapping.separator, infer_schema=False, encoding="utf8-lossy"
            )
            first_line = 2
        else:
            lazy = pl.scan_parquet(path)
            first_line = 1
        mapping.check_columns(lazy.collect_schema().names())
        rows = lazy.select(pl.len()).collect().item()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SourceError(f"{path.name}: cannot be read as {kind}: {exc}") from exc
    table = Table(path, kind, lazy, int(rows), first_line)
    _rows(table, mapping)  # raises MappingError if a column cannot be read as mapped
    return table


def chunks(table: Table, mapping: ColumnMapping, chunk_rows: int, sizes: Sizes) -> Iterator[Chunk]:
    """The file's subgroups, ``chunk_rows`` file rows at a time. ``sizes`` gives the subgroup
    size of each characteristic as written in the file (null if unknown): in the long layout,
    a subgroup with fewer rows than that waits for its other rows in the next chunks (those
    still missing at the end of the file are emitted as they are)."""
    rows = _rows(table, mapping)
    try:
        batches = rows.collect_batches(chunk_size=chunk_rows)
        if mapping.layout == "wide" or mapping.attributes:
            for frame in batches:
                yield Chunk(frame.height, _timed(frame, mapping).select(SUBGROUP_COLUMNS))
            return
        held: pl.DataFrame | None = None
        for frame in batches:
            frame = _timed(frame, mapping)
            if held is not None:
                frame = pl.concat([held, frame])
            subgroups = _grouped(frame)
            waiting = (subgroups["rows"] < sizes(subgroups["key"])).fill_null(False)
            held = frame.join(
                subgroups.filter(waiting).select("key", "subgroup"),
                on=["key", "subgroup"],
                how="semi",
                nulls_equal=True,
            )
            done = subgroups.filter(~waiting).select(SUBGROUP_COLUMNS)
            yield Chunk(frame.height - held.height, done)
        if held is not None and not held.is_empty():
            yield Chunk(held.height, _grouped(held).select(SUBGROUP_COLUMNS))
    except pl.exceptions.PolarsError as exc:
        raise SourceError(f"{table.path.name}: {exc}") from exc


def _rows(table: Table, mapping: ColumnMapping) -> pl.LazyFrame:
    """One row per file row: the mapped columns parsed (lazily)."""
    schema = table.lazy.collect_schema()
    if mapping.characteristic is None:
        key = pl.lit(str(mapping.characteristic_id))
    else:
        key = _text(mapping.characteristic)
    common = [
        pl.col(_ROW).cast(pl.UInt64).alias("line"),
        key.alias("key"),
        pl.col(mapping.timestamp).alias("ts"),
        _text(mapping.batch_number).alias("batch_number"),
        _text(mapping.operator).alias("operator_id"),
    ]
    lazy = table.lazy.with_row_index(_ROW, offset=table.first_line)
    if mapping.count is not None:
        return lazy.select(
            *common, *_attribute_sample(mapping.count, mapping.size, schema, mapping)
        )
    no_count = [pl.lit(None, pl.Float64).alias("count"), pl.lit(None, pl.Float64).alias("size")]
    if mapping.layout == "wide":
        columns = mapping.measurement_columns(schema.names())
        return lazy.select(
            *common,
            pl.concat_list([_number(c, schema, mapping) for c in columns])
            .list.drop_nulls()
            .alias("measurements"),
            *no_count,
            pl.coalesce([_problem(c, schema, mapping) for c in columns]).alias("bad"),
            pl.col(_ROW).cast(pl.UInt64).alias("bad_line"),
        )
    raw = pl.col(mapping.value).cast(pl.String).str.strip_chars()
    subgroup = pl.col(mapping.subgroup or mapping.timestamp).cast(pl.String).str.strip_chars()
    return lazy.select(
        *common,
        subgroup.alias("subgroup"),
        _number(mapping.value, schema, mapping).alias("value"),
        *no_count,
        pl.when(raw.is_null() | (raw == ""))
        .then(pl.format("{} is missing", pl.lit(mapping.value)))
        .otherwise(_problem(mapping.value, schema, mapping))
        .alias("bad"),
    )


def _attribute_sample(
    count: str, size: str | None, schema: pl.Schema, mapping: ColumnMapping
) -> list[pl.Expr]:
    """An attribute sample's columns: no measurements, the count (a whole number >= 0) and
    the size (a number > 0; an empty cell, or no size column, is null: the
    characteristic's), and what is wrong with them."""
    number = _number(count, schema, mapping)
    text = pl.col(count).cast(pl.String).str.strip_chars()
    count_problem = (
        pl.when(text.is_null() | (text == ""))
        .then(pl.format("{} is missing", pl.lit(count)))
        .otherwise(_problem(count, schema, mapping))
    )
    count_problem = (
        pl.when(count_problem.is_null() & ((number < 0) | (number != number.floor())))
        .then(pl.format("{} '{}' is not a whole number >= 0", pl.lit(count), text))
        .otherwise(count_problem)
    )
    problems = [count_problem]
    if size is None:
        size_value = pl.lit(None, pl.Float64)
    else:
        size_value = _number(size, schema, mapping)
        size_text = pl.col(size).cast(pl.String).str.strip_chars()
        problems.append(
            pl.when(size_value <= 0)
            .then(pl.format("{} '{}' is not a number > 0", pl.lit(size), size_text))
            .otherwise(_problem(size, schema, mapping))
        )
    return [
        pl.lit([], pl.List(pl.Float64)).alias("measurements"),
        number.alias("count"),
        size_value.alias("size"),
        pl.coalesce(problems).alias("bad"),
        pl.col(_ROW).cast(pl.UInt64).alias("bad_line"),
    ]


def _timed(rows: pl.DataFrame, mapping: ColumnMapping) -> pl.DataFrame:
    """The rows with their file timestamps (``ts``) as UTC, and ``ts_reason``."""
    ts, reason = utc_timestamps(rows["ts"], mapping.timestamp_format, mapping.timezone)
    return rows.with_columns(ts=ts, ts_reason=reason)


def _grouped(rows: pl.DataFrame) -> pl.DataFrame:
    """Long layout: one subgroup per (characteristic, subgroup) of the rows, in file order,
    with its number of ``rows``."""
    has_bad = pl.col("bad").is_not_null()
    return (
        rows.group_by("key", "subgroup", maintain_order=True)
        .agg(
            pl.col("line").first(),
            pl.col("ts").first(),
            pl.col("ts_reason").first(),
            pl.col("value").drop_nulls().alias("measurements"),
            pl.col("count").first(),
            pl.col("size").first(),
            pl.col("bad").filter(has_bad).first(),
            pl.col("line").filter(has_bad).first().alias("bad_line"),
            pl.col("batch_number").drop_nulls().first(),
            pl.col("operator_id").drop_nulls().first(),
            pl.len().alias("rows"),
        )
        .select(*SUBGROUP_COLUMNS, "subgroup", "rows")
    )


def _text(column: str | None) -> pl.Expr:
    if column is None:
        return pl.lit(None, pl.String)
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text != "").then(text)


def _number(column: str, schema: pl.Schema, mapping: ColumnMapping) -> pl.Expr:
    if not schema[column].is_numeric() and schema[column] != pl.String:
        raise MappingError(f"column {column!r} holds {schema[column]}, not numbers")
    if schema[column] != pl.String:
        return pl.col(column).cast(pl.Float64)
    text = pl.col(column).str.strip_chars()
    if mapping.decimal_comma:
        text = text.str.replace(",", ".", literal=True)
    return text.cast(pl.Float64, strict=False)


def _problem(column: str, schema: pl.Schema, mapping: ColumnMapping) -> pl.Expr:
    """What is wrong with a measurement cell: not a number, or not finite (null if fine;
    an empty cell is just absent)."""
    number = _number(column, schema, mapping)
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return (
        pl.when(text.is_null() | (text == ""))
        .then(pl.lit(None, pl.String))
        .when(number.is_null())
        .then(pl.format("{} '{}' is not a number", pl.lit(column), text))
        .when(~number.is_finite())
        .then(pl.format("{} '{}' is not a finite number", pl.lit(column), text))
    )
