"""Timestamps of a file column as UTC instants, vectorized (Polars).

Text is read as ISO 8601 (``T`` or space, optional fractional seconds, offsets such as ``Z``,
``+02:00``, ``+0200``), ``YYYY/MM/DD``, and ``DD.MM.YYYY``, with or without seconds, or a date
alone; an explicit ``strftime`` format replaces that list (day/month orders such as
``%d/%m/%Y`` are ambiguous and must be given), ``epoch_s``/``epoch_ms`` read Unix times.
Timestamps without an offset are local times of the mapping's time zone: a time that does
not exist there (the hour skipped when the clocks go forward) is rejected, and an ambiguous
one (the hour repeated when they go back) is taken as the earlier instant. Datetime columns
of a Parquet file keep their time zone, or get the mapping's when they have none.
"""

from __future__ import annotations

import polars as pl

AWARE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M%z",
)
NAIVE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d.%m.%Y %H:%M:%S%.f",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)
EPOCH_UNITS = {"epoch_s": 1_000_000, "epoch_ms": 1_000}  # microseconds per unit
UTC = pl.Datetime("us", "UTC")
NAIVE = pl.Datetime("us")


def utc_timestamps(
    raw: pl.Series, timestamp_format: str | None, timezone: str
) -> tuple[pl.Series, pl.Series]:
    """The UTC timestamps of a column (null where unusable) and why each is unusable (null
    where it is fine)."""
    if timestamp_format in EPOCH_UNITS:
        scaled = raw.cast(pl.Float64, strict=False) * EPOCH_UNITS[timestamp_format]
        usable = scaled.is_finite().fill_null(False) & (scaled.abs() < 2**62)
        ts = scaled.cast(pl.Int64, strict=False).cast(UTC).zip_with(usable, _nulls(len(raw), UTC))
        return ts, _reasons(raw, ts.is_not_null(), ts, timezone)
    if isinstance(raw.dtype, pl.Datetime) and raw.dtype.time_zone is not None:
        ts = raw.dt.convert_time_zone("UTC").cast(UTC)
        return ts, _reasons(raw, ts.is_not_null(), ts, timezone)
    if isinstance(raw.dtype, pl.Datetime | pl.Date):
        wall_clock = raw.cast(NAIVE)
        ts = _localized(wall_clock, timezone)
        return ts, _reasons(raw, wall_clock.is_not_null(), ts, timezone)
    text = raw.cast(pl.String).str.strip_chars().str.replace(r"[zZ]$", "+00:00")
    aware_formats, naive_formats = _formats(timestamp_format)
    aware = _first_match(text, aware_formats, UTC)
    naive = _first_match(
        text.zip_with(aware.is_null(), _nulls(len(text), pl.String())), naive_formats, NAIVE
    )
    ts = aware.fill_null(_localized(naive, timezone))
    return ts, _reasons(raw, aware.is_not_null() | naive.is_not_null(), ts, timezone)


def _first_match(text: pl.Series, formats: tuple[str, ...], dtype: pl.Datetime) -> pl.Series:
    """Each text parsed with the first format that reads it whole. Each format only sees the
    texts the formats before it could not read (a column in one format is parsed once)."""
    out = _nulls(len(text), dtype)
    todo = text.is_not_null() & (text != "")
    for f in formats:
        rows = todo.arg_true()
        if rows.is_empty():
            break
        parsed = text.gather(rows).str.to_datetime(
            f, strict=False, time_unit="us", time_zone=dtype.time_zone
        )
        read = parsed.is_not_null()
        out = out.scatter(rows.filter(read), parsed.filter(read))
        todo = todo.scatter(rows.filter(read), False)
    return out


def _nulls(n: int, dtype: pl.DataType) -> pl.Series:
    return pl.Series(values=[None] * n, dtype=dtype) if n else pl.Series(dtype=dtype)


def _formats(timestamp_format: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The formats to try: (with an offset, without)."""
    if timestamp_format is None:
        return AWARE_FORMATS, NAIVE_FORMATS
    if "%z" in timestamp_format or "%Z" in timestamp_format:
        return (timestamp_format,), ()
    return (), (timestamp_format,)


def _localized(naive: pl.Series, timezone: str) -> pl.Series:
    return (
        naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .cast(UTC)
    )


def _reasons(raw: pl.Series, readable: pl.Series, ts: pl.Series, timezone: str) -> pl.Series:
    """Why a timestamp is unusable: missing, unreadable, or a local time that does not exist
    in the time zone."""
    frame = pl.DataFrame({"raw": raw.cast(pl.String), "readable": readable, "ts": ts})
    text = pl.col("raw")
    return frame.select(
        pl.when(text.is_null() | (text.str.strip_chars() == ""))
        .then(pl.lit("missing timestamp"))
        .when(~pl.col("readable"))
        .then(pl.format("unparseable timestamp '{}'", text))
        .when(pl.col("ts").is_null())
        .then(pl.format("timestamp '{}' does not exist in time zone {}", text, pl.lit(timezone)))
    ).to_series()
