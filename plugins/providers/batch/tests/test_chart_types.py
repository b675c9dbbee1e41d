"""Imports into attribute charts (p, np, c, u: a count and a size per row) and time-weighted
charts (EWMA, CUSUM), checked against the published reference data sets: baselines through
the kernel's estimate for every chart type, the stored counts and statistics, the
violations, and export round trips."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sqlalchemy import select

from openspc.db import models as m
from openspc.stats.time_weighted import CusumParams, EwmaParams, time_weighted_limits
from openspc.testing.builders import Plant
from openspc_batch.export import export_samples
from openspc_batch.importer import ImportOptions
from openspc_batch.mapping import ColumnMapping, MappingError

# NIST/SEMATECH e-Handbook 6.3.2.4: the EWMA (λ = 0.3) of its 20 observations, target 50
NIST_EWMA = [
    50.60, 49.52, 50.56, 50.18, 50.16, 49.21, 49.75, 49.85, 50.26, 50.33,
    50.11, 49.36, 49.52, 50.05, 49.38, 49.92, 50.73, 51.23, 51.94, 51.99,
]  # fmt: skip


def samples(plant: Plant, cid: int) -> list[Any]:
    with plant.engine.connect() as conn:
        return list(
            conn.execute(
                select(m.Sample)
                .where(m.Sample.characteristic_id == cid)
                .order_by(m.Sample.timestamp)
            )
        )


def fired(plant: Plant, cid: int) -> dict[str, list[int]]:
    """Rule key -> the numbers (1, 2, ... in time order) of the samples it fired on."""
    number = {s.id: k + 1 for k, s in enumerate(samples(plant, cid))}
    out: dict[str, list[int]] = {}
    with plant.engine.connect() as conn:
        for sample_id, key in conn.execute(
            select(m.Violation.sample_id, m.Violation.rule_key).where(
                m.Violation.characteristic_id == cid
            )
        ):
            out.setdefault(key, []).append(number[sample_id])
    return {key: sorted(numbers) for key, numbers in sorted(out.items())}


async def test_circuit_c_chart_baseline_of_26_flags_units_6_and_20(
    plant: Plant, start_pipeline: Any, importer: Any, reference_data: Any, tmp_path: Path
) -> None:
    """Montgomery's circuit boards (all 46 units, as Parquet): c̄ = 19.85, UCL = 33.22,
    LCL = 6.48 from the 26 trial units; units 6 (5) and 20 (39) are beyond them."""
    path = tmp_path / "circuit.parquet"
    reference_data("circuit.csv").write_parquet(path)
    cid = plant.characteristic("boards", "c", 100, center=None)
    mapping = ColumnMapping(characteristic_id=cid, count="x", size="size")
    report = await importer(await start_pipeline()).run(
        path, ImportOptions(mapping=mapping, baseline=26)
    )
    assert (report.stored, report.rejected) == (46, 0)
    [version] = report.limits
    assert (version["method"], version["sample_count"]) == ("baseline", 26)
    assert version["center_line"] == pytest.approx(19.846, abs=5e-4)
    assert version["ucl"] == pytest.approx(33.22, abs=0.01)
    assert version["lcl"] == pytest.approx(6.48, abs=0.01)
    assert version["dispersion_center"] is None
    assert fired(plant, cid)["nelson.1"] == [6, 20]
    stored = samples(plant, cid)
    assert [(s.count, s.size, s.value) for s in stored[:2]] == [
        (21, 100.0, 21.0),
        (24, 100.0, 24.0),
    ]
    assert None not in [s.z for s in stored]  # the baseline range is judged too
    assert stored[5].z == pytest.approx(
        (5 - version["center_line"]) / np.sqrt(version["center_line"])
    )
    with plant.engine.connect() as conn:
        assert conn.execute(select(m.Measurement)).first() is None


async def test_nist_ewma_statistics_without_a_violation(
    plant: Plant, start_pipeline: Any, importer: Any, reference_data: Any, tmp_path: Path
) -> None:
    """The handbook's example with its known σ = 2.0539 and target 50 as manual limits:
    the stored EWMA is the handbook's, and nothing signals (its limits are 47.94 / 52.06)."""
    path = tmp_path / "nist.csv"
    reference_data("nist_ewma.csv").write_csv(path)
    cid = plant.characteristic(
        "ewma", "ewma", 1, center=50.0, sigma=2.0539, chart_params={"lambda": 0.3, "L": 3}
    )
    report = await importer(await start_pipeline()).run(
        path, ImportOptions(mapping=ColumnMapping(characteristic_id=cid, values=["x"]))
    )
    assert (report.stored, report.rejected, report.violations) == (20, 0, 0)
    stored = samples(plant, cid)
    assert [round(s.statistic, 2) for s in stored] == NIST_EWMA
    assert [s.value for s in stored[:3]] == [52.0, 47.0, 53.0]
    assert {s.statistic_lower for s in stored} == {None} and {s.count for s in stored} == {None}
    assert fired(plant, cid) == {}


@pytest.mark.parametrize(
    ("chart_type", "params"),
    [("ewma", EwmaParams.model_validate({"lambda": 0.3, "L": 2.7})), ("cusum", CusumParams(h=4))],
)
async def test_time_weighted_baselines_use_the_chart_params(
    plant: Plant,
    start_pipeline: Any,
    importer: Any,
    reference_data: Any,
    tmp_path: Path,
    chart_type: str,
    params: Any,
) -> None:
    """The baseline estimates target and σ as I-MR does (x̄, MR̄/d2); the limits follow
    from the characteristic's parameters (EWMA L and λ, CUSUM h)."""
    path = tmp_path / "nist.csv"
    data = reference_data("nist_ewma.csv")
    data.write_csv(path)
    cid = plant.characteristic(
        chart_type, chart_type, 1, center=None, chart_params=params.model_dump(by_alias=True)
    )
    report = await importer(await start_pipeline()).run(
        path, ImportOptions(mapping=ColumnMapping(characteristic_id=cid, values=["x"]), baseline=20)
    )
    [version] = report.limits
    x = data["x"].to_numpy()
    sigma = np.abs(np.diff(x)).mean() / 1.128
    expected = time_weighted_limits(chart_type, x.mean(), sigma, 1, params)  # type: ignore[arg-type]
    assert version["center_line"] == pytest.approx(x.mean())
    assert version["sigma"] == pytest.approx(sigma, rel=1e-3)
    assert (version["ucl"], version["lcl"]) == pytest.approx((expected.ucl, expected.lcl), rel=1e-3)
    assert None not in [s.statistic for s in samples(plant, cid)]


async def test_p_chart_with_varying_sizes_rejects_bad_rows_with_their_lines(
    plant: Plant, start_pipeline: Any, importer: Any, write: Callable[..., Path]
) -> None:
    p = plant.characteristic("p", "p", 50, center=0.1)
    u = plant.characteristic("u", "u", 2, center=3.0)
    rows = [
        ("p", "5", "50"),  # 2
        ("p", "3", ""),  # 3: the characteristic's size (50)
        ("p", "2.5", "40"),  # 4
        ("p", "-1", "40"),  # 5
        ("p", "", "40"),  # 6
        ("p", "x", "40"),  # 7
        ("p", "4", "0"),  # 8
        ("p", "4", "ten"),  # 9
        ("p", "41", "40"),  # 10
        ("p", "4", "40.5"),  # 11
        ("u", "7", "1.5"),  # 12: fractional inspection units are fine on a u chart
        ("u", "7", "-2"),  # 13
    ]
    path = write(
        "counts.csv",
        {
            "part": [r[0] for r in rows],
            "timestamp": [f"2026-01-01T00:{i:02d}:00Z" for i in range(len(rows))],
            "defective": [r[1] for r in rows],
            "inspected": [r[2] for r in rows],
        },
    )
    mapping = ColumnMapping(
        characteristic="part",
        characteristics={"p": p, "u": u},
        count="defective",
        size="inspected",
    )
    report = await importer(await start_pipeline()).run(path, ImportOptions(mapping=mapping))
    assert [(r.line, r.reason) for r in report.rejections] == [
        (4, "defective '2.5' is not a whole number >= 0"),
        (5, "defective '-1' is not a whole number >= 0"),
        (6, "defective is missing"),
        (7, "defective 'x' is not a number"),
        (8, "inspected '0' is not a number > 0"),
        (9, "inspected 'ten' is not a number"),
        (10, "defective 41 is more than the 40 items of the sample"),
        (11, "inspected 40.5 is not a whole number of items"),
        (13, "inspected '-2' is not a number > 0"),
    ]
    assert report.stored == 3
    assert [(s.count, s.size, s.value) for s in samples(plant, p)] == [
        (5, 50.0, 0.1),
        (3, 50.0, 0.06),
    ]
    assert [(s.count, s.size) for s in samples(plant, u)] == [(7, 1.5)]


async def test_np_and_c_charts_take_only_their_one_size(
    plant: Plant, start_pipeline: Any, importer: Any, write: Callable[..., Path]
) -> None:
    np_chart = plant.characteristic("np", "np", 50, center=5.0)
    path = write(
        "np.csv",
        {
            "timestamp": ["2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"],
            "d": [3, 4, 5],
            "n": [50, 60, None],
        },
    )
    mapping = ColumnMapping(characteristic_id=np_chart, count="d", size="n")
    report = await importer(await start_pipeline()).run(path, ImportOptions(mapping=mapping))
    assert [(r.line, r.reason) for r in report.rejections] == [
        (3, "a np chart has one sample size (50), not 60")
    ]
    assert [(s.count, s.size) for s in samples(plant, np_chart)] == [(3, 50.0), (5, 50.0)]


async def test_measurements_for_an_attribute_chart_and_counts_for_others_are_refused(
    plant: Plant, start_pipeline: Any, importer: Any, write: Callable[..., Path]
) -> None:
    p = plant.characteristic("p", "p", 50, center=0.1)
    bore = plant.characteristic("bore", "imr", 1)
    pipeline = await start_pipeline()
    wide = write("wide.csv", {"timestamp": ["2026-01-01T00:00:00Z"], "x": [3]})
    with pytest.raises(
        MappingError, match=f"characteristic {p} is a p chart: its samples are a count"
    ):
        await importer(pipeline).run(
            wide, ImportOptions(mapping=ColumnMapping(characteristic_id=p))
        )
    with pytest.raises(MappingError, match=f"characteristic {bore} is an imr chart: it takes"):
        await importer(pipeline).run(
            wide, ImportOptions(mapping=ColumnMapping(characteristic_id=bore, count="x"))
        )
    mixed = write(
        "mixed.csv",
        {
            "part": [p, bore],
            "timestamp": ["2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z"],
            "x": [3, 4],
        },
    )
    report = await importer(pipeline).run(
        mixed, ImportOptions(mapping=ColumnMapping(characteristic="part", count="x"))
    )
    assert report.stored == 1
    assert [(r.line, r.reason) for r in report.rejections] == [
        (3, f"characteristic {bore} is an imr chart: it takes measurements, not a count")
    ]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
async def test_an_attribute_export_imports_again_into_an_identical_history(
    plant: Plant,
    start_pipeline: Any,
    importer: Any,
    reference_data: Any,
    history: Any,
    tmp_path: Path,
    kind: str,
) -> None:
    source = plant.characteristic("source", "p", 50, center=None)
    copy = plant.characteristic("copy", "p", 50, center=None)
    path = tmp_path / "oj.csv"
    reference_data("orangejuice.csv").write_csv(path)
    pipeline = await start_pipeline()
    mapping = ColumnMapping(characteristic_id=source, count="D", size="size")
    await importer(pipeline).run(path, ImportOptions(mapping=mapping, baseline=30))
    exported = tmp_path / f"export.{kind}"
    with exported.open("wb") as out:
        assert export_samples(plant.engine, source, out, kind, page=20) == 54  # type: ignore[arg-type]
    frame = pl.read_csv(exported) if kind == "csv" else pl.read_parquet(exported)
    assert frame.columns[:5] == ["sample_id", "timestamp", "count", "size", "value"]
    assert frame["count"].to_list()[:3] == [12, 15, 8] and frame["size"].unique().to_list() == [50]
    again = ColumnMapping(characteristic_id=copy, count="count", size="size")
    report = await importer(pipeline).run(exported, ImportOptions(mapping=again, baseline=30))
    assert report.stored == 54
    got, want = history(plant.engine, copy), history(plant.engine, source)
    assert got["samples"] == want["samples"] and got["violations"] == want["violations"]
    assert [v[1:] for v in got["limits"]] == [v[1:] for v in want["limits"]]


async def test_an_ewma_export_carries_its_statistic(
    plant: Plant, start_pipeline: Any, importer: Any, reference_data: Any, tmp_path: Path
) -> None:
    cid = plant.characteristic(
        "ewma", "ewma", 1, center=50.0, sigma=2.0539, chart_params={"lambda": 0.3}
    )
    path = tmp_path / "nist.csv"
    reference_data("nist_ewma.csv").write_csv(path)
    await importer(await start_pipeline()).run(
        path, ImportOptions(mapping=ColumnMapping(characteristic_id=cid))
    )
    exported = tmp_path / "ewma.csv"
    with exported.open("wb") as out:
        export_samples(plant.engine, cid, out, "csv")
    frame = pl.read_csv(exported)
    assert frame["m1"].to_list()[:2] == [52.0, 47.0]
    assert [round(v, 2) for v in frame["statistic"].to_list()] == NIST_EWMA
    assert frame["statistic_lower"].null_count() == 20
