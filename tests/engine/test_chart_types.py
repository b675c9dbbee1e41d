"""Attribute (p, np, c, u) and time-weighted (EWMA, CUSUM) charts through the pipeline and a
real database: textbook examples, validation, baselines, restarts and exclusions."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from openspc.contracts import SampleEvent
from openspc.db import models as m
from openspc.engine import limit_versions
from openspc.engine.pipeline import Rejection
from openspc.stats import CusumParams
from openspc.testing.builders import T0, Plant, count_events, events

MONTGOMERY_CUSUM = [9.45, 7.99, 9.29, 11.66, 12.16, 10.18, 8.04, 11.46, 9.20, 10.34]
MONTGOMERY_CUSUM += [9.03, 11.47, 10.51, 9.40, 10.08, 9.37, 10.62, 10.31, 8.52, 10.84]
MONTGOMERY_CUSUM += [10.90, 9.33, 12.29, 11.50, 10.60, 11.08, 10.38, 11.62, 11.31, 10.52]


def fired(outcomes, key: str = "nelson.1") -> list[int]:  # type: ignore[no-untyped-def]
    """1-based positions of the samples that got a violation of ``key``."""
    return [
        i + 1 for i, o in enumerate(outcomes) if any(v["rule_key"] == key for v in o.violations)
    ]


def stored(plant: Plant, cid: int) -> list[m.Sample]:
    with plant.engine.connect() as conn:
        return list(
            conn.execute(
                select(m.Sample).where(m.Sample.characteristic_id == cid).order_by(m.Sample.id)
            )
        )


async def test_orange_juice_p_chart_flags_samples_15_and_23(
    plant: Plant, start_pipeline, orangejuice
) -> None:  # type: ignore[no-untyped-def]
    counts, sizes, trial = orangejuice
    p_bar = counts[trial].sum() / sizes[trial].sum()
    cid = plant.characteristic("cans", "p", 50, center=p_bar)
    p = await start_pipeline()
    outcomes = await p.submit(count_events(cid, counts[trial].tolist(), sizes[trial].tolist()))
    assert fired(outcomes) == [15, 23]
    keys = {v["rule_key"] for o in outcomes for v in o.violations}
    assert keys <= {"nelson.1", "nelson.2", "nelson.3", "nelson.4"}
    rows = stored(plant, cid)
    assert [(r.count, r.size) for r in rows[:2]] == [(12, 50.0), (15, 50.0)]
    assert rows[0].value == pytest.approx(12 / 50) and rows[0].z == pytest.approx(
        (12 / 50 - p_bar) / np.sqrt(p_bar * (1 - p_bar) / 50)
    )
    assert rows[0].dispersion is None and rows[0].statistic is None


async def test_circuit_c_chart_baseline_gives_the_textbook_limits(
    plant: Plant, start_pipeline, circuit
) -> None:  # type: ignore[no-untyped-def]
    counts, _, trial = circuit
    cid = plant.characteristic("boards", "c", 100, center=None, baseline_subgroups=26)
    p = await start_pipeline()
    outcomes = await p.submit(count_events(cid, counts.tolist()))
    assert [o.violations for o in outcomes[:26]] == [[]] * 26  # the baseline is not judged
    with plant.engine.connect() as conn:
        limits = conn.execute(select(m.ControlLimits)).one()
    assert (limits.method, limits.sample_count) == ("baseline", 26)
    assert limits.center_line == pytest.approx(counts[trial].mean())
    assert round(limits.ucl, 2) == 33.21 and round(limits.lcl, 2) == 6.48
    assert limits.dispersion_center is None


async def test_varying_sample_sizes_standardize_per_point(plant: Plant, start_pipeline) -> None:  # type: ignore[no-untyped-def]
    cid = plant.characteristic("u", "u", 10, center=2.0)
    p = await start_pipeline()
    [small, large, default] = await p.submit(count_events(cid, [5, 50, 20], [1.0, 10.0, None]))
    assert small.sample["z"] == pytest.approx((5 - 2) / np.sqrt(2 / 1))
    assert large.sample["z"] == pytest.approx((5 - 2) / np.sqrt(2 / 10))
    assert default.sample["size"] == 10.0 and default.sample["value"] == 2.0
    assert fired([small, large, default]) == [2]


@pytest.mark.parametrize(
    ("chart_type", "size", "sample", "field", "reason"),
    [
        ("p", 50, {"measurements": [1.0]}, "measurements", "takes a count and a size"),
        ("p", 50, {}, "count", "required"),
        ("p", 50, {"count": 2.5}, "count", "whole number"),
        ("p", 50, {"count": -1}, "count", "whole number"),
        ("p", 50, {"count": 51}, "count", "within 50"),
        ("p", 50, {"count": 3, "size": 0}, "size", "> 0"),
        ("p", 50, {"count": 3, "size": 20.5}, "size", "whole items"),
        ("p", 50, {"count": 41, "size": 40}, "count", "within 40"),
        ("p", 50, {"count": float("inf"), "size": 40}, "count", "whole number"),
        ("p", 50, {"count": 5, "size": -3}, "size", "> 0"),
        ("np", 50, {"count": 51}, "count", "within 50"),
        ("u", 2, {"count": 12, "size": float("nan")}, "size", "> 0"),
        ("np", 50, {"count": 3, "size": 40}, "size", "one size (50)"),
        ("c", 1, {"count": 3, "size": 2}, "size", "one size (1)"),
        ("imr", 1, {"count": 3}, "count", "takes measurements"),
        ("ewma", 1, {"measurements": [1.0], "size": 3}, "size", "takes measurements"),
    ],
)
async def test_invalid_samples_are_rejected_naming_the_field(  # type: ignore[no-untyped-def]
    plant: Plant, start_pipeline, chart_type, size, sample, field, reason
) -> None:
    cid = plant.characteristic("x", chart_type, size, center=0.5)
    p = await start_pipeline()
    [outcome] = await p.submit([SampleEvent(characteristic_id=cid, timestamp=T0, **sample)])
    assert not outcome.stored
    assert (
        outcome.error == Rejection(field, outcome.error.reason) and reason in outcome.error.reason
    )


async def test_nist_ewma_through_the_pipeline_across_a_restart(
    plant: Plant, start_pipeline, nist_ewma
) -> None:  # type: ignore[no-untyped-def]
    cid = plant.characteristic(
        "ewma", "ewma", 1, center=50.0, sigma=2.0539, chart_params={"lambda": 0.3}
    )
    first = await start_pipeline()
    head = await first.submit(events(cid, nist_ewma[:7].tolist()))
    second = await start_pipeline()  # a restart: the EWMA continues from the database
    tail = await second.submit(events(cid, nist_ewma[7:].tolist(), start=7))
    outcomes = head + tail
    assert [round(o.sample["statistic"], 2) for o in outcomes][-3:] == [51.23, 51.94, 51.99]
    assert all(o.violations == [] for o in outcomes)
    z_last = outcomes[-1].sample["z"]
    assert z_last == pytest.approx(3 * (51.988 - 50) / 2.58843, abs=2e-3)


async def test_ewma_baseline_then_a_shift_fires_only_beyond_limits(
    plant: Plant, start_pipeline
) -> None:  # type: ignore[no-untyped-def]
    cid = plant.characteristic("ewma", "ewma", 1, center=None, baseline_subgroups=20)
    p = await start_pipeline()
    rng = np.random.default_rng(7)
    baseline = rng.normal(10, 1, 20).tolist()
    shifted = (10 + 1.5 + rng.normal(0, 0.2, 30)).tolist()  # a run that also breaks rule 2
    outcomes = await p.submit(events(cid, baseline + shifted))
    keys = {v["rule_key"] for o in outcomes for v in o.violations}
    assert keys == {"nelson.1"}
    assert outcomes[19].sample["statistic"] is None and outcomes[20].sample["statistic"] is not None


async def test_montgomery_cusum_through_the_pipeline_with_an_exclusion(
    plant: Plant, start_pipeline
) -> None:  # type: ignore[no-untyped-def]
    params = {"k": 0.5, "h": 5.0}
    cid = plant.characteristic("cusum", "cusum", 1, center=10.0, sigma=1.0, chart_params=params)
    p = await start_pipeline()
    outcomes = [(await p.submit([e]))[0] for e in events(cid, MONTGOMERY_CUSUM)]
    assert fired(outcomes) == [29, 30]
    assert round(outcomes[28].sample["statistic"], 2) == 5.28
    assert outcomes[28].violations[0]["details"]["side"] == "upper"
    # excluding the last point: the next one continues from period 29's sums
    with plant.engine.begin() as conn:
        conn.execute(
            m.Sample.__table__.update()
            .where(m.Sample.id == outcomes[-1].sample["id"])
            .values(excluded=True)
        )
    p.invalidate(cid)
    [after] = await p.submit(events(cid, [10.0], start=100))
    upper_29 = outcomes[28].sample["statistic"]
    assert after.sample["statistic"] == pytest.approx(max(0.0, 10.0 - 10.5 + upper_29))


async def test_new_limits_restart_the_cusum(plant: Plant, start_pipeline) -> None:  # type: ignore[no-untyped-def]
    cid = plant.characteristic("cusum", "cusum", 1, center=10.0, sigma=1.0)
    p = await start_pipeline()
    before = await p.submit(events(cid, [12.0, 12.0]))
    assert before[-1].sample["statistic"] == pytest.approx(3.0)
    with plant.engine.begin() as conn:
        limits = limit_versions.manual_limits("cusum", 1, CusumParams(), 12.0, sigma=1.0)
        limit_versions.store(conn, cid, limits, method="manual", created_by="test")
    p.invalidate(cid)
    [after] = await p.submit(events(cid, [12.0], start=10))
    assert (
        after.sample["statistic"] == 0.0
        and after.sample["limits_id"] != before[-1].sample["limits_id"]
    )
