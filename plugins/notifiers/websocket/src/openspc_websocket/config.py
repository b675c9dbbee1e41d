"""Settings of the WebSocket notifier (environment variables ``OPENSPC_WEBSOCKET_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSocketSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OPENSPC_WEBSOCKET_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    heartbeat_seconds: float = Field(
        default=15.0, gt=0, description="interval of the heartbeat message (and expiry checks)"
    )
    queue_size: int = Field(
        default=1000,
        ge=1,
        description="messages queued per client at most; a client that falls this far behind "
        "is sent 'overflow' and disconnected (1013)",
    )
    auth_timeout_seconds: float = Field(
        default=5.0, gt=0, description="how long a client without ?token= may take to send auth"
    )
    hierarchy_refresh_seconds: float = Field(
        default=30.0,
        gt=0,
        description="how stale hierarchy subscriptions may get when nodes or characteristics move",
    )
