"""Settings of the MQTT publisher (environment variables ``OPENSPC_MQTT_PUBLISH_*``).

The broker is ``OPENSPC_MQTT_PUBLISH_URL``, else the kernel's ``OPENSPC_MQTT_URL``; the
kernel's credentials and TLS files apply unless the URL carries its own user and password.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from openspc_sparkplug.topics import MessageType, Topic


class PublisherSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OPENSPC_MQTT_PUBLISH_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    enabled: bool = Field(
        default=False,
        description="publish (to OPENSPC_MQTT_PUBLISH_URL, else OPENSPC_MQTT_URL); off by "
        "default: a new node in a plant's Sparkplug namespace is a deliberate choice",
    )
    mode: Literal["sparkplug", "json"] = Field(
        default="sparkplug",
        description="sparkplug: a Sparkplug B edge node; json: violation/ack events as JSON",
    )
    url: str | None = Field(
        default=None, description="mqtt://host[:port] or mqtts://...; default: OPENSPC_MQTT_URL"
    )
    client_id: str | None = Field(
        default=None,
        description="default: openspc-<group>-<node> (sparkplug), openspc-json-<prefix> (json)",
    )
    group_id: str = Field(default="OpenSPC", description="Sparkplug group id")
    node_id: str = Field(default="SPC", description="Sparkplug edge node id")
    topic_prefix: str = Field(
        default="openspc", description="json mode: events go to <prefix>/violation, <prefix>/ack"
    )
    keepalive_seconds: int = Field(
        default=30,
        ge=5,
        description="MQTT keepalive; the broker publishes the NDEATH will after 1.5x this "
        "without traffic",
    )
    reconnect_min_seconds: float = Field(default=0.5, gt=0)
    reconnect_max_seconds: float = Field(default=30.0, gt=0)
    queue_size: int = Field(
        default=10_000,
        ge=1,
        description="violation notifications (sparkplug) or events (json) waiting at most; "
        "beyond, the oldest is dropped and counted",
    )

    @field_validator("topic_prefix")
    @classmethod
    def _topic_prefix(cls, value: str) -> str:
        if not value or value.startswith("/") or value.endswith("/") or set(value) & {"+", "#"}:
            raise ValueError("a topic prefix like 'openspc' or 'plant/spc' (no +, #, outer /)")
        return value

    @model_validator(mode="after")
    def _ids(self) -> PublisherSettings:
        Topic(self.group_id, MessageType.NBIRTH, self.node_id)  # raises on an invalid id
        if self.reconnect_max_seconds < self.reconnect_min_seconds:
            raise ValueError("reconnect_max_seconds must be >= reconnect_min_seconds")
        return self

    def client_identifier(self) -> str:
        if self.client_id:
            return self.client_id
        if self.mode == "sparkplug":
            return f"openspc-{self.group_id}-{self.node_id}"
        return f"openspc-json-{self.topic_prefix.replace('/', '-')}"
