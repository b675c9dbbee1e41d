"""The webhook API's request and response models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, UrlConstraints

from openspc_webhook.filters import WebhookFilters

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Secret = Annotated[str, StringConstraints(min_length=16, max_length=200)]
Url = Annotated[HttpUrl, UrlConstraints(max_length=2000), Field(description="http or https")]
Timeout = Annotated[
    float, Field(gt=0, le=60, description="seconds an attempt may take, answer included")
]
Status = Literal["pending", "delivered", "failed"]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    url: Url
    secret: Secret | None = Field(
        default=None,
        description="the HMAC-SHA256 signing key; omitted: one is generated and returned once",
    )
    enabled: bool = True
    filters: WebhookFilters = Field(default_factory=WebhookFilters)
    timeout_seconds: Timeout = 10.0


class WebhookUpdate(BaseModel):
    """Only the fields given (and not null) change; ``filters`` is replaced whole."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    url: Url | None = None
    secret: Secret | None = Field(default=None, description="a new signing key (write-only)")
    enabled: bool | None = None
    filters: WebhookFilters | None = None
    timeout_seconds: Timeout | None = None


class Webhook(BaseModel):
    id: int
    name: str
    url: str
    secret_hint: str = Field(description="the signing key masked; the key is never returned")
    enabled: bool
    filters: WebhookFilters
    timeout_seconds: float
    created_at: datetime
    updated_at: datetime


class NewWebhook(Webhook):
    secret: str | None = Field(
        description="the generated signing key, shown only in this response (null when the "
        "request supplied one)"
    )


class Delivery(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    webhook_id: int
    event_type: str
    payload: dict[str, Any]
    status: Status
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[Delivery]
    total: int
