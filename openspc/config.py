"""Configuration: one pydantic-settings ``Settings`` (prefix ``OPENSPC_``, ``.env`` support)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./data/openspc.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OPENSPC_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = DEFAULT_DATABASE_URL
    mqtt_url: str | None = Field(
        default=None, description="e.g. mqtt://127.0.0.1:1883 or mqtts://host:8883; unset = no MQTT"
    )
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_ca_file: Path | None = None
    mqtt_cert_file: Path | None = None
    mqtt_key_file: Path | None = None
    secret_key: str | None = Field(
        default=None,
        description="JWT signing key; generated per process (tokens die on restart) if unset",
    )
    admin_password: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True

    host: str = "127.0.0.1"
    port: int = 8000
    web_dir: Path | None = Field(default=None, description="built SPA; default: the packaged one")
    cors_origins: list[str] = Field(default_factory=list)

    access_token_minutes: int = Field(default=15, ge=1)
    refresh_token_days: int = Field(default=7, ge=1)

    batch_max_size: int = Field(default=2000, ge=1, description="samples per micro-batch at most")
    batch_max_delay_ms: float = Field(
        default=0.0,
        ge=0,
        description="how long an idle pipeline waits for more samples before it starts a batch",
    )
    ingest_queue_size: int = Field(default=100_000, ge=1)
    window_cache_size: int = Field(
        default=50_000, ge=1, description="characteristics kept in memory"
    )
    default_window: int = Field(default=25, ge=2)
    baseline_subgroups: int = Field(default=25, ge=2)

    plugins: list[str] | None = Field(
        default=None, description="allow-list of entry-point names to load; None loads all"
    )

    process_id: str | None = Field(
        default=None,
        description="this process among the OpenSPC processes sharing one database (default "
        "<hostname>-<pid>); names its relay topic and relay MQTT client",
    )
    relay_topic: str | None = Field(
        default=None,
        description="scale-out: topic prefix on OPENSPC_MQTT_URL over which the OpenSPC "
        "processes sharing one database exchange live events and cache invalidations (e.g. "
        "openspc/relay); unset: one process, no relay",
    )
    relay_queue_size: int = Field(
        default=1000,
        ge=1,
        description="committed batches waiting for the relay at most; beyond, the oldest "
        "batch's events are dropped (its cache invalidations are kept)",
    )

    @field_validator("process_id")
    @classmethod
    def _topic_level(cls, value: str | None) -> str | None:
        if value is not None and (not value or set(value) & {"/", "+", "#"}):
            raise ValueError("a process id is one MQTT topic level: not empty, no '/', '+', '#'")
        return value

    @field_validator("relay_topic")
    @classmethod
    def _topic_prefix(cls, value: str | None) -> str | None:
        if value is not None and (
            not value or value.startswith("/") or value.endswith("/") or set(value) & {"+", "#"}
        ):
            raise ValueError("a topic prefix like 'openspc/relay' (no '+', '#', outer '/')")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


@lru_cache
def get_settings() -> Settings:
    return Settings()
