"""Configuration of batch imports (``OPENSPC_BATCH_*`` environment variables)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class BatchConfig(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OPENSPC_BATCH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    chunk_rows: int = Field(
        default=200_000, ge=1, description="file rows read, validated and sorted at a time"
    )
    submit_subgroups: int = Field(
        default=25_000, ge=1, description="subgroups handed to the pipeline in one submission"
    )
    rejections_listed: int = Field(
        default=1_000, ge=0, description="rejected rows listed in a report (all are counted)"
    )
    upload_dir: Path = Field(
        default=Path(tempfile.gettempdir()) / "openspc-imports",
        description="where uploaded files wait for their import (deleted after it)",
    )
    max_upload_mb: int = Field(default=2_048, ge=1, description="largest upload accepted")
    heartbeat_seconds: float = Field(
        default=15.0,
        gt=0,
        description="how often a process refreshes the heartbeat (and stored progress) of its "
        "unfinished import jobs, and looks for jobs whose process stopped responding",
    )
    stale_seconds: float | None = Field(
        default=None,
        gt=0,
        description="an unfinished job whose heartbeat is older is failed by any process "
        "(default 4 x heartbeat_seconds)",
    )

    @model_validator(mode="after")
    def _stale_after_heartbeats(self) -> BatchConfig:
        if self.stale_seconds is not None and self.stale_seconds < 2 * self.heartbeat_seconds:
            raise ValueError("stale_seconds must be at least twice heartbeat_seconds")
        return self

    @property
    def stale_after(self) -> float:
        """Seconds without a heartbeat after which an unfinished job is failed."""
        return self.stale_seconds if self.stale_seconds is not None else 4 * self.heartbeat_seconds
