"""Configuration of the MQTT provider.

The broker and its credentials come from the kernel settings (``OPENSPC_MQTT_URL``,
``OPENSPC_MQTT_USERNAME``/``_PASSWORD``, ``OPENSPC_MQTT_CA_FILE``/``_CERT_FILE``/``_KEY_FILE``);
the provider's own options from ``OPENSPC_SPARKPLUG_*`` environment variables.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from paho.mqtt.client import topic_matches_sub
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from openspc.config import Settings
from openspc_sparkplug.topics import StateTopic, TopicError, check_id


class SparkplugConfig(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OPENSPC_SPARKPLUG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    mqtt_url: str = Field(description="mqtt://host[:port] or mqtts://host[:port] (TLS)")
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = Field(default=None, description="CA bundle (default: the system's)")
    cert_file: Path | None = Field(default=None, description="client certificate (optional)")
    key_file: Path | None = None

    host_id: str = Field(
        default="openspc",
        description="Sparkplug host id: STATE on spBv1.0/STATE/<host_id>; edge nodes that name "
        "it as their primary host store and forward while OpenSPC is offline",
    )
    client_id: str | None = Field(
        default=None,
        description="MQTT client id of the persistent session (default openspc-host-<host_id>); "
        "one per OpenSPC instance",
    )
    groups: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Sparkplug group ids to subscribe to, comma-separated (empty: all); with "
        "several OpenSPC processes on one database, each takes its own groups",
    )
    plain_topics: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="MQTT topic filters, comma-separated (e.g. plant1/#): only the bound plain "
        "topics they match are subscribed to (empty: every bound plain topic); with several "
        "OpenSPC processes on one database, each takes its own topics",
    )
    reorder_timeout: float = Field(default=2.0, gt=0, description="seconds a seq gap may wait")
    rebirth_interval: float = Field(
        default=5.0, ge=0, description="seconds between rebirth requests to one node at most"
    )
    subgroup_time_limit: float | None = Field(
        default=None,
        gt=0,
        description="seconds within which the values of one subgroup must arrive (and lie); "
        "a partial subgroup is discarded and counted after it (unset: no limit)",
    )
    max_payload_bytes: int = Field(default=1_048_576, ge=64)
    bindings_refresh: float = Field(
        default=10.0, gt=0, description="seconds between reloads of the tag bindings"
    )
    unknown_tag_refresh: float = Field(
        default=2.0,
        gt=0,
        description="a value of an unbound tag reloads the bindings at most this often (s)",
    )
    reconnect_min_delay: float = Field(default=0.5, gt=0)
    reconnect_max_delay: float = Field(default=30.0, gt=0)
    keepalive: int = Field(default=30, ge=5)
    max_batch: int = Field(
        default=50_000,
        ge=1,
        description="samples per submission at most (a backlog is committed in large batches, "
        "which is what keeps up with many characteristics)",
    )
    max_pending: int = Field(
        default=100_000,
        ge=1,
        description="samples waiting for the pipeline before the provider stops reading",
    )
    shutdown_grace: float = Field(
        default=2.0,
        ge=0,
        description="seconds after STATE offline in which edge nodes' last messages (and their "
        "NDEATH) are still ingested on shutdown",
    )

    @field_validator("groups", "plain_topics", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        """``G1,G2`` (or a JSON list) from the environment."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("plain_topics")
    @classmethod
    def _filters(cls, value: list[str]) -> list[str]:
        for f in value:
            levels = f.split("/")
            if any(
                ("#" in level and (level != "#" or i < len(levels) - 1))
                or ("+" in level and level != "+")
                for i, level in enumerate(levels)
            ):
                raise ValueError(f"not an MQTT topic filter: {f!r}")
        return value

    def takes_plain_topic(self, topic: str) -> bool:
        """Whether this process subscribes to a bound plain topic (its partition)."""
        return not self.plain_topics or any(topic_matches_sub(f, topic) for f in self.plain_topics)

    @model_validator(mode="after")
    def _check(self) -> SparkplugConfig:
        parts = urlsplit(self.mqtt_url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"expected mqtt://host[:port] or mqtts://..., got {self.mqtt_url!r}")
        try:
            StateTopic(self.host_id)
            for group in self.groups:
                check_id("group id", group)
        except TopicError as exc:
            raise ValueError(str(exc)) from None
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("a client certificate needs both the cert file and the key file")
        if not self.tls and (self.ca_file or self.cert_file):
            raise ValueError("TLS files are configured but the MQTT URL is not mqtts://")
        return self

    @property
    def tls(self) -> bool:
        return urlsplit(self.mqtt_url).scheme == "mqtts"

    @property
    def hostname(self) -> str:
        return urlsplit(self.mqtt_url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.mqtt_url).port or (8883 if self.tls else 1883)

    @property
    def session_id(self) -> str:
        return self.client_id or f"openspc-host-{self.host_id}"

    @property
    def broker(self) -> str:
        """The broker URL without credentials (for health and logs)."""
        return f"{urlsplit(self.mqtt_url).scheme}://{self.hostname}:{self.port}"

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> SparkplugConfig | None:
        """None when no MQTT broker is configured."""
        if not settings.mqtt_url:
            return None
        parts = urlsplit(settings.mqtt_url)
        username = settings.mqtt_username or (parts.username and unquote(parts.username))
        password = settings.mqtt_password or (parts.password and unquote(parts.password))
        values: dict[str, Any] = {
            "mqtt_url": settings.mqtt_url,
            "username": username or None,
            "password": password or None,
            "ca_file": settings.mqtt_ca_file,
            "cert_file": settings.mqtt_cert_file,
            "key_file": settings.mqtt_key_file,
            **overrides,
        }
        return cls(**{k: v for k, v in values.items() if v is not None})
