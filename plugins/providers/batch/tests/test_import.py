"""Imports through the pipeline on the real database (SQLite, and PostgreSQL when configured):
both formats and layouts, dry runs, idempotency, refusal, baselines, export round trips, and
that importing a history gives exactly what submitting it one subgroup at a time gives."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sqlalchemy import func, insert, select, update

from openspc.contracts import SampleContext, SampleEvent
from openspc.db import models as m
from openspc.stats.limits import estimate_limits
from openspc.testing.builders import Plant
from openspc_batch.export import export_samples
from openspc_batch.importer import ImportOptions
from openspc_batch.mapping import ColumnMapping

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def process(rng: np.random.Generator, points: int, size: int) -> np.ndarray:
    """120 points of in-control noise with special causes that make most rules fire: a shift, a trend,
    alternation, stratification and outliers."""
    x = rng.normal(10.0, 1.0, (points, size))
    x[40:55] += 1.8
    x[62:70] += np.linspace(0.0, 4.0, 8)[:, None]
    x[75:90] += np.where(np.arange(15) % 2, 1.3, -1.3)[:, None]
    x[95:112] = 10.0 + rng.normal(0.0, 0.1, (17, size))
    x[115] += 6.0
    return np.round(x, 4)


def enable_all_rules(plant: Plant, cid: int) -> None:
    with plant.engine.begin() as conn:
        conn.execute(
            insert(m.CharacteristicRule),
            [
                {
                    "characteristic_id": cid,
                    "chart": "dispersion",
                    "rule_key": f"nelson.{k}",
                    "enabled": True,
                    "severity": "WARNING",
                    "params": {},
                }
                for k in (2, 3, 4)
            ],
        )


def wide_columns(
    cid: int | str, values: np.ndarray, start: int = 0, **context: list[Any]
) -> dict[str, list[Any]]:
    n = len(values)
    return {
        "characteristic": [cid] * n,
        "timestamp": [(T0 + timedelta(minutes=start + i)).isoformat() for i in range(n)],
        **{f"x{j + 1}": values[:, j].tolist() for j in range(values.shape[1])},
        **context,
    }


def count(plant: Plant, model: Any) -> int:
    with plant.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


# --- streaming equals import ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
async def test_importing_a_history_equals_submitting_it_one_by_one(
    plant: Plant, start_pipeline: Any, importer: Any, write: Any, history: Any, seed: int
) -> None:
    """Three chart types (one without limits: the baseline is completed in the middle of an
    import chunk), all rules on, imported from one CSV whose rows interleave the three in
    time and are read 7 rows and submitted 5 subgroups at a time."""
    rng = np.random.default_rng(seed)
    kinds = [("xbar_r", 4, 10.0), ("imr", 1, 10.0), ("xbar_s", 3, None)]
    pairs, data = [], []
    for chart_type, size, center in kinds:
        twins = [
            plant.characteristic(
                f"{chart_type}-{role}", chart_type, size, center=center, baseline_subgroups=10
            )
            for role in ("imported", "streamed")
        ]
        for cid in twins:
            enable_all_rules(plant, cid)
        pairs.append(twins)
        data.append(process(rng, 120, size))
    rows = sorted(
        (i, k) for k in range(len(kinds)) for i in range(120)
    )  # time-major: the characteristics interleave
    path = write(
        "history.csv",
        {
            "characteristic": [pairs[k][0] for _, k in rows],
            "timestamp": [(T0 + timedelta(minutes=i)).isoformat() for i, _ in rows],
            "values": [";".join(map(str, data[k][i])) for i, k in rows],
            "lot": [f"L{i // 30}" for i, _ in rows],
        },
    )
    long = _long_from_wide(path)
    pipeline = await start_pipeline()
    report = await importer(pipeline).run(
        long,
        ImportOptions(
            mapping=ColumnMapping(
                characteristic="characteristic", layout="long", batch_number="lot"
            )
        ),
    )
    assert (report.stored, report.rejected) == (360, 0)
    for (_, streamed), values in zip(pairs, data, strict=True):
        for i, v in enumerate(values):
            event = SampleEvent(
                characteristic_id=streamed,
                timestamp=T0 + timedelta(minutes=i),
                measurements=v.tolist(),
                context=SampleContext(batch_number=f"L{i // 30}", source="MANUAL"),
            )
            [outcome] = await pipeline.submit([event])
            assert outcome.stored
    for imported, streamed in pairs:
        got, want = history(plant.engine, imported), history(plant.engine, streamed)
        assert got == want
        assert len(got["violations"]) > 10
    assert report.violations == sum(len(history(plant.engine, i)["violations"]) for i, _ in pairs)
    # every Nelson rule fired, the long-lookback ones (4, 7: 14 and 15 points) too, so the
    # windows carried between submissions mattered
    assert set(report.violations_by_rule) == {f"nelson.{k}" for k in range(1, 9)}


def _long_from_wide(path: Path) -> Path:
    """The same history as a long Parquet file (one row per measurement)."""
    frame = pl.read_csv(path).with_columns(pl.col("values").str.split(";")).explode("values")
    long = path.with_suffix(".parquet")
    frame.rename({"values": "value"}).with_columns(pl.col("value").cast(pl.Float64)).write_parquet(
        long
    )
    return long


# --- the import as a whole -----------------------------------------------------------------


async def test_wide_csv_stores_samples_with_their_context(
    plant: Plant, start_pipeline: Any, importer: Any, write: Callable[..., Path]
) -> None:
    cid = plant.characteristic("bore", "xbar_r", 3, center=10.0, sigma=1.0)
    values = np.array([[10.0, 10.5, 9.5]] * 11 + [[14.0, 14.0, 14.0]])
    path = write(
        "bore.csv",
        wide_columns(cid, values, lot=[f"L{i}" for i in range(12)], who=["ann"] * 12),
    )
    mapping = ColumnMapping(characteristic="characteristic", batch_number="lot", operator="who")
    report = await importer(await start_pipeline()).run(path, ImportOptions(mapping=mapping))
    assert (report.rows, report.subgroups, report.stored, report.rejected) == (12, 12, 12, 0)
    assert report.characteristics == [cid] and report.violations_by_rule["nelson.1"] == 1
    with plant.engine.connect() as conn:
        samples = conn.execute(select(m.Sample).order_by(m.Sample.id)).all()
        measured = conn.execute(
            select(m.Measurement.value)
            .where(m.Measurement.sample_id == samples[0].id)
            .order_by(m.Measurement.position)
        ).scalars()
        assert list(measured) == [10.0, 10.5, 9.5]
    assert [s.timestamp for s in samples] == [T0 + timedelta(minutes=i) for i in range(12)]
    assert {(s.source, s.operator_id) for s in samples} == {("IMPORT", "ann")}
    assert [s.batch_number for s in samples] == [f"L{i}" for i in range(12)]
    assert samples[-1].z == pytest.approx(4.0 * np.sqrt(3))


async def test_a_dry_run_validates_and_stores_nothing(
    plant: Plant, start_pipeline: Any, importer: Any, write: Callable[..., Path]
) -> None:
    cid = plant.characteristic()
    pipeline = await start_pipeline()
    columns = wide_columns(cid, np.array([[0.1], [0.2], [0.3], [0.4]]))
    columns["x1"][2] = "n/a"
    path = write("dry.csv", columns)
    mapping = ColumnMapping(characteristic="characteristic")
    stored = await importer(pipeline).run(
        write("first.csv", wide_columns(cid, np.array([[0.1]]))), ImportOptions(mapping=mapping)
    )
    assert stored.stored == 1
    report = await importer(pipeline).run(path, ImportOptions(mapping=mapping, dry_run=True))
    assert report.dry_run and report.stored == 0 and report.violations == 0
    assert (report.subgroups, report.already_stored, report.rejected) == (4, 1, 1)
    assert [(r.line, r.reason) for r in report.rejections] == [(4, "x1 'n/a' is not a number")]
    assert count(plant, m.Sample) == 1


async def test_reimporting_a_file_stores_nothing_twice(
    plant: Plant, start_pipeline: Any, importer: Any, write: Callable[..., Path]
) -> None:
    cid = plant.characteristic()
    path = write("again.csv", wide_columns(cid, np.array([[0.5]] * 9)))  # rule 2 at the 9th
    options = ImportOptions(mapping=ColumnMapping(characteristic="characteristic"))
    pipeline = await start_pipeline()
    first = await importer(pipeline).run(path, options)
    again = await importer(pipeline).run(path, options)
    assert (first.stored, first.already_stored, first.violations) == (9, 0, 1)
    assert (again.stored, again.already_stored, again.violations) == (0, 9, 0)
    assert (count(plant, m.Sample), count(plant, m.Measurement), count(plant, m.Violation)) == (
        9,
        9,
        1,
    )


async def test_refuse_mode_imports_nothing_when_anything_is_stored_already(
    plant: Plant, start_pipeline: Any, importer: Any, write: Callable[..., Path]
) -> None:
    cid = plant.characteristic()
    pipeline = await start_pipeline()
    mapping = ColumnMapping(characteristic="characteristic")
    await importer(pipeline).run(
        write("old.csv", wide_columns(cid, np.array([[0.1]] * 3), start=5)),
        ImportOptions(mapping=mapping),
    )
    overlapping = write("new.csv", wide_columns(cid, np.array([[0.2]] * 10)))
    refused = await importer(pipeline).run(
        overlapping, ImportOptions(mapping=mapping, on_duplicate="refuse")
    )
    assert refused.refused is not None and refused.stored == 0 and refused.already_stored == 3
    assert refused.refused.startswith(
        "3 subgroups of new.csv are stored already (the first: line 7, characteristic "
        f"{cid} at 2026-01-01T00:05:00+00:00); nothing was imported."
    )
    assert count(plant, m.Sample) == 3
    fresh = write("fresh.csv", wide_columns(cid, np.array([[0.2]] * 2), start=20))
    accepted = await importer(pipeline).run(
        fresh, ImportOptions(mapping=mapping, on_duplicate="refuse")
    )
    assert (accepted.refused, accepted.stored) == (None, 2)


async def test_a_baseline_range_gives_limits_before_anything_is_judged(
    plant: Plant, start_pipeline: Any, importer: Any, write: Callable[..., Path]
) -> None:
    cid = plant.characteristic("new", "xbar_r", 2, center=None)
    values = process(np.random.default_rng(5), 120, 2)
    path = write("base.csv", wide_columns(cid, values))
    options = ImportOptions(mapping=ColumnMapping(characteristic="characteristic"), baseline=30)
    report = await importer(await start_pipeline()).run(path, options)
    [version] = report.limits
    expected = estimate_limits("xbar_r", values[:30])
    assert (version["method"], version["sample_count"], version["created_by"]) == (
        "baseline",
        30,
        "test",
    )
    assert version["center_line"] == pytest.approx(expected.center_line)
    assert version["sigma"] == pytest.approx(expected.sigma)
    with plant.engine.connect() as conn:
        z = conn.execute(select(m.Sample.z).order_by(m.Sample.id)).scalars().all()
        audited = conn.execute(
            select(m.AuditEntry.actor).where(m.AuditEntry.entity == "limits")
        ).scalars()
        assert list(audited) == ["test"]
    assert len(z) == 120 and None not in z  # the baseline range is judged too
    assert report.violations > 0


async def test_without_a_baseline_option_the_kernel_baseline_applies(
    plant: Plant, start_pipeline: Any, importer: Any, write: Callable[..., Path]
) -> None:
    cid = plant.characteristic("auto", "imr", 1, center=None, baseline_subgroups=12)
    path = write("auto.csv", wide_columns(cid, process(np.random.default_rng(6), 120, 1)))
    options = ImportOptions(mapping=ColumnMapping(characteristic="characteristic"))
    report = await importer(await start_pipeline()).run(path, options)
    assert report.limits == [] and report.stored == 120
    with plant.engine.connect() as conn:
        z = conn.execute(select(m.Sample.z).order_by(m.Sample.id)).scalars().all()
        limits = conn.execute(select(m.ControlLimits)).one()
    assert z[:12] == [None] * 12 and None not in z[12:]
    assert (limits.method, limits.sample_count) == ("baseline", 12)


async def test_rows_the_pipeline_refuses_are_reported(
    plant: Plant, start_pipeline: Any, importer: Any, write: Callable[..., Path]
) -> None:
    """The pipeline checks every event again: when the characteristic it knows differs from
    the one the import validated against (changed by another process), nothing invalid is
    stored and the report names the rows."""
    cid = plant.characteristic("bore", "xbar_r", 3)
    pipeline = await start_pipeline()

    def resize(n: int) -> None:
        with plant.engine.begin() as conn:
            conn.execute(
                update(m.Characteristic).where(m.Characteristic.id == cid).values(subgroup_size=n)
            )

    resize(2)
    await pipeline.check(
        [SampleEvent(characteristic_id=cid, timestamp=T0, measurements=[1.0, 2.0])]
    )  # the pipeline now knows the characteristic with subgroups of 2
    resize(3)
    path = write("race.csv", wide_columns(cid, np.array([[0.1, 0.2, 0.3]] * 3)))
    options = ImportOptions(mapping=ColumnMapping(characteristic="characteristic"))
    report = await importer(pipeline).run(path, options)
    assert (report.stored, report.rejected) == (0, 3)
    assert [(r.line, r.reason) for r in report.rejections] == [
        (line, "expected 2 measurements, got 3") for line in (2, 3, 4)
    ]


# --- export --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "parquet"])
async def test_an_export_imports_again_into_an_identical_history(
    plant: Plant,
    start_pipeline: Any,
    importer: Any,
    write: Callable[..., Path],
    history: Any,
    tmp_path: Path,
    kind: str,
) -> None:
    source = plant.characteristic("source", "xbar_s", 3, center=10.0)
    copy = plant.characteristic("copy", "xbar_s", 3, center=10.0)
    values = process(np.random.default_rng(3), 120, 3)
    path = write("orig.csv", wide_columns(source, values, lot=["A"] * 60 + [None] * 60))
    pipeline = await start_pipeline()
    mapping = ColumnMapping(characteristic="characteristic", batch_number="lot")
    await importer(pipeline).run(path, ImportOptions(mapping=mapping))
    exported = tmp_path / f"export.{kind}"
    with exported.open("wb") as out:
        assert export_samples(plant.engine, source, out, kind, page=50) == 120  # type: ignore[arg-type]
    frame = pl.read_csv(exported) if kind == "csv" else pl.read_parquet(exported)
    fired = history(plant.engine, source)["violations"]
    assert frame.columns[:11] == [
        "sample_id",
        "timestamp",
        "m1",
        "m2",
        "m3",
        "count",
        "size",
        "value",
        "dispersion",
        "statistic",
        "statistic_lower",
    ]
    assert frame["count"].null_count() == frame["statistic"].null_count() == 120
    assert frame["violations"].drop_nulls().str.split(";").list.len().sum() == sum(
        1 for v in fired if v[1] == "primary"
    )
    again = ColumnMapping(
        characteristic_id=copy, values=["m1", "m2", "m3"], batch_number="batch_number"
    )
    report = await importer(pipeline).run(exported, ImportOptions(mapping=again))
    assert report.stored == 120
    assert history(plant.engine, copy) == history(plant.engine, source)
