"""Configuration of batch imports (``OPENSPC_BATCH_*`` environment variables)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pydantic import Field
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
