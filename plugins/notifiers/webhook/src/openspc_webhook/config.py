"""Settings of the webhook notifier (environment variables ``OPENSPC_WEBHOOK_*``).

These tune delivery for every webhook; each webhook's own URL, secret, filters and timeout
are rows in the database, managed through ``/api/v1/webhooks``.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OPENSPC_WEBHOOK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    max_attempts: int = Field(
        default=8, ge=1, description="attempts per delivery before it is marked failed"
    )
    backoff_base_seconds: float = Field(
        default=5.0, gt=0, description="wait after the first failed attempt; doubles after each"
    )
    backoff_max_seconds: float = Field(
        default=3600.0, gt=0, description="the longest wait between two attempts"
    )
    max_concurrency: int = Field(default=16, ge=1, description="requests in flight at most")
    per_endpoint_concurrency: int = Field(
        default=4,
        ge=1,
        description="requests in flight to one webhook at most, so that a slow endpoint "
        "cannot take every slot",
    )
    inbox_batches: int = Field(
        default=10_000,
        ge=1,
        description="committed batches waiting to be matched and queued at most; beyond, "
        "batches are dropped (and counted) rather than slowing the pipeline",
    )
    hierarchy_refresh_seconds: float = Field(
        default=60.0,
        gt=0,
        description="how stale the cached hierarchy subtrees of the filters may get when "
        "nodes or characteristics move",
    )
    retention_days: float = Field(
        default=30.0, gt=0, description="delivered and failed deliveries are kept this long"
    )
