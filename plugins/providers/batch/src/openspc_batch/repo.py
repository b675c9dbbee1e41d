"""The plugin's SQL: characteristics as an import sees them, samples already stored, import
jobs, and the reads behind an export."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from openspc.db.models import Measurement, Sample, Violation
from openspc.db.repo import characteristics as characteristics_repo
from openspc.db.repo import limits as limits_repo
from openspc_batch.tables import FAILED, QUEUED, RUNNING, ImportJob
from openspc_batch.validation import Target


def targets(conn: Connection, ids: Collection[int]) -> dict[int, Target]:
    """The characteristics among ``ids`` that exist."""
    found = characteristics_repo.by_ids(conn, ids)
    limits = limits_repo.current(conn, found)
    return {
        cid: Target(cid, c.chart_type, c.subgroup_size, cid in limits, c.chart_params or {})
        for cid, c in found.items()
    }


def stored_keys(
    conn: Connection, characteristic_ids: Collection[int], first: datetime, last: datetime
) -> list[tuple[int, datetime]]:
    """(characteristic, timestamp) of the samples stored in ``[first, last]``."""
    return [
        (cid, ts)
        for cid, ts in conn.execute(
            select(Sample.characteristic_id, Sample.timestamp).where(
                Sample.characteristic_id.in_(sorted(characteristic_ids)),
                Sample.timestamp >= first,
                Sample.timestamp <= last,
            )
        )
    ]


# --- import jobs -----------------------------------------------------------------------------


def create_job(
    conn: Connection,
    file_name: str,
    options: dict[str, Any],
    created_by: str,
    owner: str,
    at: datetime,
) -> Any:
    return conn.execute(
        insert(ImportJob)
        .values(
            status=QUEUED,
            file_name=file_name,
            options=options,
            created_by=created_by,
            owner=owner,
            heartbeat_at=at,
        )
        .returning(*ImportJob.__table__.c)
    ).one()


def get_job(conn: Connection, job_id: int) -> Any:
    return conn.execute(select(ImportJob).where(ImportJob.id == job_id)).one_or_none()


def start_job(conn: Connection, job_id: int, owner: str, at: datetime) -> bool:
    """Mark a queued job of ``owner`` running; False if it is no longer queued (failed by a
    sweep while it waited)."""
    result = conn.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.owner == owner, ImportJob.status == QUEUED)
        .values(status=RUNNING, started_at=at, heartbeat_at=at)
    )
    return bool(result.rowcount)


def finish_job(conn: Connection, job_id: int, owner: str, **values: Any) -> bool:
    """Record the outcome of a running job of ``owner``; False if it is no longer running
    (failed by a sweep while it ran)."""
    result = conn.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.owner == owner, ImportJob.status == RUNNING)
        .values(**values)
    )
    return bool(result.rowcount)


def heartbeat(
    conn: Connection,
    owner: str,
    at: datetime,
    running: int | None = None,
    progress: dict[str, Any] | None = None,
) -> set[int]:
    """Refresh the heartbeat of the unfinished jobs of ``owner`` (and store the progress of
    its ``running`` job); the ids of those jobs still unfinished."""
    if running is not None and progress is not None:
        conn.execute(
            update(ImportJob)
            .where(ImportJob.id == running, ImportJob.owner == owner, ImportJob.status == RUNNING)
            .values(progress=progress)
        )
    return set(
        conn.execute(
            update(ImportJob)
            .where(ImportJob.owner == owner, ImportJob.status.in_([QUEUED, RUNNING]))
            .values(heartbeat_at=at)
            .returning(ImportJob.id)
        ).scalars()
    )


def fail_unfinished(conn: Connection, owner: str, error: str, at: datetime) -> int:
    """Mark the queued or running jobs of ``owner`` failed (what that process left when it
    stopped, or leaves as it stops)."""
    result = conn.execute(
        update(ImportJob)
        .where(ImportJob.owner == owner, ImportJob.status.in_([QUEUED, RUNNING]))
        .values(status=FAILED, error=error, finished_at=at)
    )
    return int(result.rowcount)


def fail_stale(conn: Connection, before: datetime, at: datetime) -> list[tuple[int, str | None]]:
    """Mark failed the unfinished jobs, of any process, whose last heartbeat (or creation, if
    they never had one) is older than ``before``; (id, owner) of each."""
    last_sign = func.coalesce(ImportJob.heartbeat_at, ImportJob.created_at)
    unfinished = ImportJob.status.in_([QUEUED, RUNNING])
    stale = conn.execute(
        select(ImportJob.id, ImportJob.owner).where(unfinished, last_sign < before)
    ).all()
    failed: list[tuple[int, str | None]] = []
    for job_id, owner in stale:
        result = conn.execute(  # unless a heartbeat came meanwhile
            update(ImportJob)
            .where(ImportJob.id == job_id, unfinished, last_sign < before)
            .values(
                status=FAILED,
                error=f"interrupted: its process ({owner or 'unknown'}) stopped responding",
                finished_at=at,
            )
        )
        if result.rowcount:
            failed.append((job_id, owner))
    return failed


# --- export --------------------------------------------------------------------------------


def sample_page(
    conn: Connection,
    characteristic_id: int,
    *,
    since: datetime | None,
    after: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[Any]:
    """The first ``limit`` samples in time order at or after ``since``, after ``after`` and
    before ``until`` (each bound optional)."""
    query = select(Sample).where(Sample.characteristic_id == characteristic_id)
    if since is not None:
        query = query.where(Sample.timestamp >= since)
    if after is not None:
        query = query.where(Sample.timestamp > after)
    if until is not None:
        query = query.where(Sample.timestamp < until)
    return list(conn.execute(query.order_by(Sample.timestamp).limit(limit)))


def measurements(conn: Connection, sample_ids: list[int]) -> list[Any]:
    """(sample_id, value) in sample and position order."""
    return list(
        conn.execute(
            select(Measurement.sample_id, Measurement.value)
            .where(Measurement.sample_id.in_(sample_ids))
            .order_by(Measurement.sample_id, Measurement.position)
        )
    )


def violations(conn: Connection, sample_ids: list[int]) -> list[Any]:
    """(sample_id, chart, rule_key) in sample and rule order."""
    return list(
        conn.execute(
            select(Violation.sample_id, Violation.chart, Violation.rule_key)
            .where(Violation.sample_id.in_(sample_ids))
            .order_by(Violation.sample_id, Violation.rule_key)
        )
    )
