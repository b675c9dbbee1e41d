"""The plugin's table (created by the kernel migrations ``0004_import_jobs`` and
``0006_import_job_owner``).

An ``import_job`` row is one import started through the API: ``queued``, ``running``, then
``succeeded`` (with its report in ``result``, also for a dry run or a refused import) or
``failed`` (with ``error``). Only its ``owner``, the process that accepted the upload, runs
it; the owner refreshes ``heartbeat_at`` while the job is unfinished and stores the running
job's last ``progress`` report with it, so that every process sharing the database can show
it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from openspc.db.models import UTCDateTime

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime()}


class ImportJob(Base):
    __tablename__ = "import_job"
    __table_args__ = (Index("ix_import_job_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    file_name: Mapped[str] = mapped_column(String(500))
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
