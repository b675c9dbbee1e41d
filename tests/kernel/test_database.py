"""The schema comes from the Alembic migrations; records are immutable at the database level."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text, update
from sqlalchemy.exc import DatabaseError

from openspc.db import models as m
from openspc.db.engine import make_engine


def test_sqlite_runs_wal_with_foreign_keys_and_full_sync(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    engine.dispose()


def test_migrations_create_every_table(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        for table in m.Base.metadata.tables:
            conn.execute(text(f"SELECT count(*) FROM {table}"))
        codes = conn.execute(text("SELECT code FROM reason_code")).scalars().all()
    engine.dispose()
    assert {"TOOL_WEAR", "MATERIAL_CHANGE", "OPERATOR_ERROR", "MEASUREMENT_ERROR"} <= set(codes)


def _sample(conn: object) -> int:
    now = datetime.now(UTC)
    h = conn.execute(
        insert(m.Hierarchy).values(name="Plant", type="site").returning(m.Hierarchy.id)
    ).scalar_one()  # type: ignore[attr-defined]
    c = conn.execute(  # type: ignore[attr-defined]
        insert(m.Characteristic)
        .values(
            hierarchy_id=h,
            name="d",
            chart_type="imr",
            subgroup_size=1,
            source="MANUAL",
            decimal_places=3,
            chart_params={},
        )
        .returning(m.Characteristic.id)
    ).scalar_one()
    return int(
        conn.execute(  # type: ignore[attr-defined]
            insert(m.Sample)
            .values(
                characteristic_id=c,
                timestamp=now,
                received_at=now,
                source="MANUAL",
                subgroup_size=1,
                value=1.5,
            )
            .returning(m.Sample.id)
        ).scalar_one()
    )


def test_sample_facts_are_immutable_but_exclusion_may_change(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        sid = _sample(conn)
    with engine.begin() as conn:
        conn.execute(
            update(m.Sample)
            .where(m.Sample.id == sid)
            .values(excluded=True, excluded_reason="gauge")
        )
    with pytest.raises(DatabaseError, match="immutable"), engine.begin() as conn:
        conn.execute(update(m.Sample).where(m.Sample.id == sid).values(value=2.0))
    with pytest.raises(DatabaseError, match="immutable"), engine.begin() as conn:
        conn.execute(text("DELETE FROM sample"))
    with engine.connect() as conn:
        row = conn.execute(text("SELECT value, excluded FROM sample")).one()
    engine.dispose()
    assert row[0] == 1.5 and bool(row[1]) is True


def test_timestamps_round_trip_as_utc(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        _sample(conn)
    with engine.connect() as conn:
        ts = conn.execute(m.Sample.__table__.select()).one().timestamp
    engine.dispose()
    assert ts.tzinfo is not None and ts.utcoffset().total_seconds() == 0
