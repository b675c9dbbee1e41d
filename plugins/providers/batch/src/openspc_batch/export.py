"""A characteristic's samples with their violations, as CSV or Parquet.

One row per sample, in time order, written page by page (any history fits):

``sample_id``, ``timestamp`` (UTC), ``m1`` … ``mN`` (the measurements; none for an attribute
chart), ``count`` and ``size`` (an attribute sample's), ``value`` (the plotted mean,
individual, or p, np, c, u), ``dispersion`` (its R, S or moving range), ``statistic`` and
``statistic_lower`` (EWMA, or CUSUM C⁺ and C⁻), ``z``, ``z_dispersion``, ``limits_id`` (the
limits it was judged against), ``source``, ``batch_number``, ``operator_id``, ``excluded``,
and ``violations`` / ``dispersion_violations``: the keys of the rules that fired on the
point, ``;``-separated.

A CSV export imports again with the mapping
``{"values": ["m1", …], "batch_number": "batch_number", "operator": "operator_id"}``, or for
an attribute chart ``{"count": "count", "size": "size", …}``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import IO, Any

import polars as pl
import pyarrow.parquet as pq
from sqlalchemy import Engine

from openspc.db.repo import characteristics as characteristics_repo
from openspc.stats.chart_types import is_attribute
from openspc_batch import repo
from openspc_batch.source import FileKind

PAGE = 10_000
MEDIA_TYPES: dict[FileKind, str] = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


class UnknownCharacteristic(LookupError):
    pass


def export_samples(
    engine: Engine,
    characteristic_id: int,
    out: IO[bytes],
    kind: FileKind,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    page: int = PAGE,
) -> int:
    """Write the samples in ``[since, until)`` to ``out``; returns how many."""
    with engine.connect() as conn:
        characteristic = characteristics_repo.get(conn, characteristic_id)
        if characteristic is None:
            raise UnknownCharacteristic(f"characteristic {characteristic_id} not found")
        size = 0 if is_attribute(characteristic.chart_type) else characteristic.subgroup_size
        writer: pq.ParquetWriter | None = None
        written, after = 0, None
        while True:
            samples = repo.sample_page(
                conn, characteristic_id, since=since, after=after, until=until, limit=page
            )
            if not samples and written:
                break
            frame = _frame(conn, samples, size)
            if kind == "csv":
                frame.write_csv(
                    out, include_header=not written, datetime_format="%Y-%m-%dT%H:%M:%S%.6f%:z"
                )
            else:
                table = frame.to_arrow()
                writer = writer or pq.ParquetWriter(out, table.schema)
                writer.write_table(table)
            written += len(samples)
            if len(samples) < page:
                break
            after = samples[-1].timestamp
        if writer is not None:
            writer.close()
    return written


def _schema(subgroup_size: int) -> dict[str, pl.DataType]:
    """The columns, with ``subgroup_size`` measurement columns (0 for attribute charts)."""
    return {
        "sample_id": pl.Int64(),
        "timestamp": pl.Datetime("us", "UTC"),
        **{f"m{i + 1}": pl.Float64() for i in range(subgroup_size)},
        "count": pl.Int64(),
        "size": pl.Float64(),
        "value": pl.Float64(),
        "dispersion": pl.Float64(),
        "statistic": pl.Float64(),
        "statistic_lower": pl.Float64(),
        "z": pl.Float64(),
        "z_dispersion": pl.Float64(),
        "limits_id": pl.Int64(),
        "source": pl.String(),
        "batch_number": pl.String(),
        "operator_id": pl.String(),
        "excluded": pl.Boolean(),
        "violations": pl.String(),
        "dispersion_violations": pl.String(),
    }


def _frame(conn: Any, samples: list[Any], subgroup_size: int) -> pl.DataFrame:
    ids = [s.id for s in samples]
    values: dict[int, list[float]] = defaultdict(list)
    for sample_id, value in repo.measurements(conn, ids) if ids else ():
        values[sample_id].append(value)
    fired: dict[tuple[int, str], list[str]] = defaultdict(list)
    for sample_id, chart, rule_key in repo.violations(conn, ids) if ids else ():
        fired[sample_id, chart].append(rule_key)
    schema = _schema(subgroup_size)
    columns: dict[str, list[Any]] = {name: [] for name in schema}
    for s in samples:
        measured = values[s.id] + [None] * (subgroup_size - len(values[s.id]))
        row = {
            "sample_id": s.id,
            "timestamp": s.timestamp,
            **{f"m{i + 1}": v for i, v in enumerate(measured[:subgroup_size])},
            "count": s.count,
            "size": s.size,
            "value": s.value,
            "dispersion": s.dispersion,
            "statistic": s.statistic,
            "statistic_lower": s.statistic_lower,
            "z": s.z,
            "z_dispersion": s.z_dispersion,
            "limits_id": s.limits_id,
            "source": s.source,
            "batch_number": s.batch_number,
            "operator_id": s.operator_id,
            "excluded": s.excluded,
            "violations": ";".join(fired.get((s.id, "primary"), ())) or None,
            "dispersion_violations": ";".join(fired.get((s.id, "dispersion"), ())) or None,
        }
        for name in schema:
            columns[name].append(row[name])
    return pl.DataFrame(columns, schema=schema)
