"""The bulk insert of samples: ids per row across statements, skipped duplicates, and
timestamps stored exactly as the column type stores them (so the unique key and every time
filter agree with rows written any other way)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import insert, select

from openspc.db import models as m
from openspc.db.repo import samples as samples_repo
from openspc.testing.builders import Plant, events

AT = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)


def row(cid: int, ts: datetime, value: float = 1.0) -> tuple[object, ...]:
    return (
        cid,
        ts,
        AT,
        "IMPORT",
        None,
        None,
        1,
        value,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    )


def test_ids_come_back_per_row_and_duplicates_as_none(plant: Plant) -> None:
    a, b = plant.characteristic("a"), plant.characteristic("b")
    times = [AT + timedelta(seconds=i) for i in range(6000)]  # more than one statement holds
    with plant.engine.begin() as conn:
        first = samples_repo.insert_samples(conn, [row(a, t, i) for i, t in enumerate(times)])
        again = samples_repo.insert_samples(
            conn, [row(b, times[0]), row(a, times[1]), row(a, AT - timedelta(days=1))]
        )
        stored = dict(conn.execute(select(m.Sample.id, m.Sample.value)).all())
    assert len(set(first)) == 6000 and None not in first
    assert [stored[i] for i in first] == list(range(6000))
    assert again[1] is None and None not in (again[0], again[2])


async def test_timestamps_match_rows_written_through_the_column_type(
    plant: Plant, start_pipeline
) -> None:  # type: ignore[no-untyped-def]
    cid = plant.characteristic()
    east = timezone(timedelta(hours=9))
    with plant.engine.begin() as conn:  # stored the ordinary SQLAlchemy way
        conn.execute(
            insert(m.Sample).values(
                characteristic_id=cid,
                timestamp=AT,
                received_at=AT,
                source="MANUAL",
                subgroup_size=1,
                value=0.0,
            )
        )
    p = await start_pipeline()
    [dup, new] = await p.submit(
        [
            events(cid, [1.0])[0].model_copy(update={"timestamp": AT.astimezone(east)}),
            events(cid, [2.0])[0].model_copy(update={"timestamp": AT + timedelta(microseconds=1)}),
        ]
    )
    assert dup.duplicate and new.stored
    with plant.engine.connect() as conn:
        found = conn.execute(
            select(m.Sample.value).where(m.Sample.timestamp == AT + timedelta(microseconds=1))
        ).scalar_one()
        later = conn.execute(select(m.Sample.value).where(m.Sample.timestamp > AT)).scalars()
        assert found == 2.0 and list(later) == [2.0]
