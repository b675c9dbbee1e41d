"""The pipeline through a real database: storage, ordering, rules, baseline, restart, duplicates."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from openspc.config import Settings
from openspc.contracts import SampleEvent
from openspc.db import models as m
from openspc.engine.pipeline import Pipeline, Rejection
from openspc.rules import Rule
from openspc.testing.builders import Plant, events


def rule_points(outcomes, key: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [i for i, o in enumerate(outcomes) if any(v["rule_key"] == key for v in o.violations)]


async def test_spec_example_in_one_batch_equals_one_by_one(plant: Plant, start_pipeline) -> None:  # type: ignore[no-untyped-def]
    series = [0.5, -0.5] * 8  # rule 4 at 13, 14, 15; rule 7 at 14, 15
    one_batch = plant.characteristic("batch")
    one_by_one = plant.characteristic("single")
    p = await start_pipeline()
    batch = await p.submit(events(one_batch, series))
    singles = [(await p.submit([e]))[0] for e in events(one_by_one, series)]
    for outcomes in (batch, singles):
        assert rule_points(outcomes, "nelson.4") == [13, 14, 15]
        assert rule_points(outcomes, "nelson.7") == [14, 15]
        assert {v["rule_key"] for o in outcomes for v in o.violations} == {"nelson.4", "nelson.7"}


async def test_violation_is_stored_with_its_limits_and_side(plant: Plant, start_pipeline) -> None:  # type: ignore[no-untyped-def]
    cid = plant.characteristic()
    p = await start_pipeline()
    [outcome] = await p.submit(events(cid, [-3.2]))
    [v] = outcome.violations
    assert (v["rule_id"], v["rule_key"], v["severity"], v["chart"]) == (
        1,
        "nelson.1",
        "CRITICAL",
        "primary",
    )
    assert v["details"]["side"] == "lower" and v["details"]["z"] == -3.2
    with plant.engine.connect() as conn:
        stored = conn.execute(select(m.Violation)).one()
        sample = conn.execute(select(m.Sample)).one()
    assert stored.sample_id == outcome.sample["id"] == sample.id
    assert stored.limits_id == sample.limits_id is not None


async def test_many_characteristics_in_one_batch_are_independent(
    plant: Plant, start_pipeline
) -> None:  # type: ignore[no-untyped-def]
    a, b = plant.characteristic("a"), plant.characteristic("b")
    p = await start_pipeline(batch_max_delay_ms=50)
    mixed = [
        e
        for pair in zip(events(a, [0.5] * 9), events(b, [-0.5] * 8 + [0.5]), strict=True)
        for e in pair
    ]
    outcomes = await p.submit(mixed)
    fired = [(o.sample["characteristic_id"], v["rule_key"]) for o in outcomes for v in o.violations]
    assert fired == [(a, "nelson.2")]


async def test_rule_pattern_spanning_a_restart_fires(plant: Plant, start_pipeline) -> None:  # type: ignore[no-untyped-def]
    cid = plant.characteristic()
    first = await start_pipeline()
    assert not any(o.violations for o in await first.submit(events(cid, [0.5] * 5)))
    await first.stop()
    second = await start_pipeline()
    outcomes = await second.submit(events(cid, [0.5] * 4, start=5))
    assert rule_points(outcomes, "nelson.2") == [3]


async def test_redelivered_samples_are_not_stored_twice(plant: Plant, start_pipeline) -> None:  # type: ignore[no-untyped-def]
    cid = plant.characteristic()
    p = await start_pipeline()
    await p.submit(events(cid, [0.5] * 5))
    again = await p.submit(events(cid, [0.5] * 9))  # the first 5 are redeliveries
    assert [o.duplicate for o in again] == [True] * 5 + [False] * 4
    assert rule_points(again, "nelson.2") == [8]
    with plant.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.Sample)).scalar() == 9


async def test_invalid_events_are_reported_and_do_not_block_others(
    plant: Plant, start_pipeline
) -> None:  # type: ignore[no-untyped-def]
    cid = plant.characteristic()
    p = await start_pipeline()
    good = events(cid, [1.0])[0]
    wrong_size = events(cid, [[1.0, 2.0]], start=1)[0]
    unknown = events(cid + 99, [1.0], start=2)[0]
    nan = events(cid, [float("nan")], start=3)[0]
    outcomes = await p.submit([good, wrong_size, unknown, nan])
    assert outcomes[0].stored
    assert outcomes[1].error == Rejection("measurements", "expected 1 measurements, got 2")
    assert outcomes[2].error == Rejection("characteristic_id", "unknown characteristic")
    assert outcomes[3].error == Rejection(
        "measurements", "measurements must be finite numbers within ±1e+100"
    )
    tag = events(cid, [1.0], start=4, source="TAG")[0]
    [refused] = await p.submit([tag])
    assert refused.error == Rejection("source", "this characteristic takes MANUAL data, not TAG")


async def test_baseline_gives_limits_then_rules_run(plant: Plant, start_pipeline) -> None:  # type: ignore[no-untyped-def]
    cid = plant.characteristic("xbar", "xbar_r", 5, center=None, baseline_subgroups=10)
    p = await start_pipeline()
    base = [[10.0 + 0.1 * ((i * 7 + j * 3) % 5 - 2) for j in range(5)] for i in range(10)]
    outcomes = await p.submit(events(cid, [*base, [30.0] * 5]))
    assert all(o.sample["z"] is None for o in outcomes[:10])
    assert outcomes[10].sample["z"] > 3 and rule_points(outcomes, "nelson.1") == [10]
    with plant.engine.connect() as conn:
        limits = conn.execute(select(m.ControlLimits)).one()
    assert limits.method == "baseline" and limits.sample_count == 10
    assert abs(limits.center_line - 10.0) < 0.05
    assert (
        limits.from_sample_id == outcomes[0].sample["id"]
        and limits.to_sample_id == outcomes[9].sample["id"]
    )


async def test_concurrent_submissions_are_all_committed(plant: Plant, start_pipeline) -> None:  # type: ignore[no-untyped-def]
    cid = plant.characteristic()
    p = await start_pipeline()
    results = await asyncio.gather(*(p.submit([e]) for e in events(cid, [0.1] * 200)))
    assert all(r[0].stored for r in results)
    with plant.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.Sample)).scalar() == 200
        assert conn.execute(select(func.count()).select_from(m.Measurement)).scalar() == 200


async def test_values_and_times_out_of_range_are_rejected_alone(
    plant: Plant, start_pipeline
) -> None:  # type: ignore[no-untyped-def]
    """Bounds hold for every provider, not only the REST API: a value beyond ±1e100 (its
    subgroup statistics would overflow) or a time that leaves the calendar in UTC is a
    rejection of that event, and the rest of the batch is stored."""
    cid = plant.characteristic()
    p = await start_pipeline()
    west = timezone(timedelta(hours=-1))
    late = SampleEvent(
        characteristic_id=cid,
        timestamp=datetime(9999, 12, 31, 23, 30, tzinfo=west),
        measurements=[0.2],
    )
    ok, huge, too_late = await p.submit([*events(cid, [0.1]), *events(cid, [1e200], start=1), late])
    assert ok.stored and not huge.stored and not too_late.stored
    assert huge.error is not None and huge.error.field == "measurements"
    assert too_late.error == Rejection("timestamp", "out of range once taken to UTC")


async def test_a_fault_fails_only_the_submission_that_triggers_it(plant: Plant, rules) -> None:  # type: ignore[no-untyped-def]
    """A rule plugin that raises on some input (a bug) must not take the other providers'
    submissions of the same micro-batch down with it."""

    def fragile(z, n, params):  # type: ignore[no-untyped-def]
        if (z > 100).any():
            raise ZeroDivisionError("a bug in a rule plugin")
        return z != z

    faulty = Rule(
        key="test.fragile",
        name="Fragile",
        description="raises beyond z = 100",
        evaluate=fragile,
        lookback=lambda params: 1,
        enabled_by_default_on=frozenset({"location"}),
    )
    a, b = plant.characteristic("a"), plant.characteristic("b")
    settings = Settings(_env_file=None, database_url=str(plant.engine.url), batch_max_delay_ms=50)  # type: ignore[call-arg]
    p = Pipeline(plant.engine, {**rules.rules, faulty.key: faulty}, settings)
    await p.start()
    try:
        poison, fine = await asyncio.gather(
            p.submit(events(a, [500.0])), p.submit(events(b, [0.5, 0.7])), return_exceptions=True
        )
    finally:
        await p.stop()
    assert isinstance(poison, ZeroDivisionError)
    assert [o.stored for o in fine] == [True, True]  # type: ignore[union-attr]
    with plant.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.Sample)).scalar_one() == 2
