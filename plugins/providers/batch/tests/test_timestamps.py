"""Timestamps in common formats and time zones become UTC instants, or a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from openspc_batch.timestamps import utc_timestamps


def parse(
    values: list[object], dtype: pl.DataType = pl.String(), fmt: str | None = None, tz: str = "UTC"
) -> list[tuple[datetime | None, str | None]]:
    ts, reason = utc_timestamps(pl.Series("t", values, dtype=dtype), fmt, tz)
    return list(zip(ts.to_list(), reason.to_list(), strict=True))


def test_a_column_in_one_format_and_mixed_formats() -> None:
    assert parse(
        ["2026-03-01T10:15:30Z"] * 3 + ["01.03.2026 11:15:30", "x"], tz="Europe/Berlin"
    ) == [(at(2026, 3, 1, 10, 15, 30), None)] * 4 + [(None, "unparseable timestamp 'x'")]
    assert parse([]) == []


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T10:15:30Z", at(2026, 3, 1, 10, 15, 30)),
        ("2026-03-01T10:15:30.250z", at(2026, 3, 1, 10, 15, 30, 250000)),
        ("2026-03-01 12:15:30+02:00", at(2026, 3, 1, 10, 15, 30)),
        ("2026-03-01T05:15:30-0500", at(2026, 3, 1, 10, 15, 30)),
        ("2026-03-01T10:15+00:00", at(2026, 3, 1, 10, 15)),
        ("2026-03-01T11:15:30", at(2026, 3, 1, 10, 15, 30)),  # Berlin, winter time
        ("2026-07-01 12:15:30.5", at(2026, 7, 1, 10, 15, 30, 500000)),  # summer time
        ("2026-03-01 11:15", at(2026, 3, 1, 10, 15)),
        ("2026-03-01", at(2026, 2, 28, 23)),
        ("2026/03/01 11:15:30", at(2026, 3, 1, 10, 15, 30)),
        ("01.03.2026 11:15:30", at(2026, 3, 1, 10, 15, 30)),
        ("01.03.2026 11:15", at(2026, 3, 1, 10, 15)),
        ("  2026-03-01T11:15:30  ", at(2026, 3, 1, 10, 15, 30)),
        ("2026-10-25 02:30", at(2026, 10, 25, 0, 30)),  # repeated hour: the earlier instant
    ],
)
def test_common_formats_with_offsets_or_in_the_mapping_time_zone(
    text: str, expected: datetime
) -> None:
    assert parse([text], tz="Europe/Berlin") == [(expected, None)]


def test_unusable_timestamps_get_a_reason() -> None:
    assert parse(
        ["", None, "yesterday", "2026-02-30 10:00", "2026-03-29 02:30"], tz="Europe/Berlin"
    ) == [
        (None, "missing timestamp"),
        (None, "missing timestamp"),
        (None, "unparseable timestamp 'yesterday'"),
        (None, "unparseable timestamp '2026-02-30 10:00'"),
        (None, "timestamp '2026-03-29 02:30' does not exist in time zone Europe/Berlin"),
    ]


def test_an_explicit_format_replaces_the_defaults() -> None:
    us = parse(["03/01/2026 10:15 AM", "2026-03-01T10:15:00Z"], fmt="%m/%d/%Y %I:%M %p")
    assert us == [
        (at(2026, 3, 1, 10, 15), None),
        (None, "unparseable timestamp '2026-03-01T10:15:00Z'"),
    ]
    aware = parse(["01/03/2026 10:15 +0100"], fmt="%d/%m/%Y %H:%M %z", tz="Asia/Tokyo")
    assert aware == [(at(2026, 3, 1, 9, 15), None)]


def test_unix_times() -> None:
    assert parse(["1772360130", "x"], fmt="epoch_s") == [
        (at(2026, 3, 1, 10, 15, 30), None),
        (None, "unparseable timestamp 'x'"),
    ]
    assert parse([1772360130250], dtype=pl.Int64(), fmt="epoch_ms") == [
        (at(2026, 3, 1, 10, 15, 30, 250000), None)
    ]


def test_datetime_columns_keep_their_zone_or_get_the_mapping_one() -> None:
    aware = pl.Datetime("ms", "America/New_York")
    assert parse([datetime(2026, 3, 1, 5, 15, tzinfo=UTC)], dtype=aware) == [
        (at(2026, 3, 1, 5, 15), None)
    ]
    naive = pl.Datetime("ns")
    assert parse([datetime(2026, 3, 1, 11, 15)], dtype=naive, tz="Europe/Berlin") == [
        (at(2026, 3, 1, 10, 15), None)
    ]
    assert parse([None], dtype=naive) == [(None, "missing timestamp")]
