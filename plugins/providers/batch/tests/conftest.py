"""Fixtures of the batch import tests: files written with Polars, the public reference data
sets (``tests/data``) with timestamps, importers on the test database's pipeline (small
chunks, so that chunk boundaries are exercised), and a characteristic's stored history in a
comparable form."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, select

from openspc.db import models as m
from openspc.engine.pipeline import Pipeline
from openspc_batch.config import BatchConfig
from openspc_batch.importer import Importer

SMALL = BatchConfig(chunk_rows=7, submit_subgroups=5, rejections_listed=100)
REFERENCE_T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def reference_data() -> Callable[[str], pl.DataFrame]:
    """``reference_data(name)``: a reference data set with timestamps."""
    return _reference_data


def _reference_data(name: str) -> pl.DataFrame:
    """A reference data set (``$OPENSPC_REFERENCE_DATA``, else the repository's
    ``tests/data``) with a ``timestamp`` column: one minute per row from 2026-01-01."""
    configured = os.environ.get("OPENSPC_REFERENCE_DATA")
    directory = (
        Path(configured) if configured else Path(__file__).resolve().parents[4] / "tests/data"
    )
    frame = pl.read_csv(directory / name)
    times = [(REFERENCE_T0 + timedelta(minutes=i)).isoformat() for i in range(frame.height)]
    return frame.with_columns(timestamp=pl.Series(times))


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """``write(name, columns)``: a CSV or Parquet file (by the suffix) of the columns."""

    def make(name: str, columns: dict[str, list[Any]], **csv: Any) -> Path:
        path = tmp_path / name
        frame = pl.DataFrame(columns, strict=False)
        if path.suffix == ".parquet":
            frame.write_parquet(path)
        else:
            frame.write_csv(path, **csv)
        return path

    return make


@pytest.fixture
def importer() -> Callable[..., Importer]:
    """``importer(pipeline, **config)``: an Importer with small chunks by default."""

    def make(pipeline: Pipeline, **config: Any) -> Importer:
        return Importer(pipeline, SMALL.model_copy(update=config), actor="test")

    return make


@pytest.fixture
def history() -> Callable[[Engine, int], dict[str, list[Any]]]:
    """``history(engine, cid)``: samples in arrival order (no ids, no arrival times) with
    their measurements, violations by sample position, and limit versions."""
    return _history


def _history(engine: Engine, cid: int) -> dict[str, list[Any]]:
    """Samples in arrival order with their measurements, the violations by sample position,
    and the limit versions: everything a twin characteristic must have the same of."""
    with engine.connect() as conn:
        samples = conn.execute(
            select(m.Sample).where(m.Sample.characteristic_id == cid).order_by(m.Sample.id)
        ).all()
        position = {s.id: k for k, s in enumerate(samples)}
        values: dict[int, list[float]] = {s.id: [] for s in samples}
        for sid, value in conn.execute(
            select(m.Measurement.sample_id, m.Measurement.value)
            .join(m.Sample, m.Sample.id == m.Measurement.sample_id)
            .where(m.Sample.characteristic_id == cid)
            .order_by(m.Measurement.sample_id, m.Measurement.position)
        ):
            values[sid].append(value)
        violations = conn.execute(
            select(m.Violation).where(m.Violation.characteristic_id == cid).order_by(m.Violation.id)
        ).all()
        limits = conn.execute(
            select(m.ControlLimits)
            .where(m.ControlLimits.characteristic_id == cid)
            .order_by(m.ControlLimits.version)
        ).all()
    version = {row.id: row.version for row in limits}
    return {
        "samples": [
            (
                s.timestamp,
                values[s.id],
                s.value,
                s.dispersion,
                s.z,
                s.z_dispersion,
                version.get(s.limits_id),
                s.batch_number,
                s.operator_id,
            )
            for s in samples
        ],
        "violations": sorted(
            (
                position[v.sample_id],
                v.chart,
                v.rule_key,
                v.rule_id,
                v.severity,
                v.details,
                version.get(v.limits_id),
            )
            for v in violations
        ),
        "limits": [(r.version, r.method, r.center_line, r.sigma, r.sample_count) for r in limits],
    }
