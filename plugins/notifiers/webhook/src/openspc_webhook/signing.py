"""What goes over the wire: the JSON body of a delivery and its HMAC-SHA256 signature.

A receiver recomputes ``sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>`` and
compares it with ``X-OpenSPC-Signature`` in constant time (:func:`verify`) before parsing the
body. The body is the same on every attempt of a delivery, so retries carry the same ``id``
(deduplicate on it) and the same ``timestamp`` (reject deliveries older than you accept).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

import orjson

SIGNATURE_HEADER = "X-OpenSPC-Signature"
EVENT_HEADER = "X-OpenSPC-Event"
DELIVERY_HEADER = "X-OpenSPC-Delivery"


def body(delivery_id: int, event_type: str, payload: dict[str, Any], created_at: datetime) -> bytes:
    return orjson.dumps(
        {
            "type": event_type,
            "payload": payload,
            "id": delivery_id,
            "timestamp": created_at.isoformat(),
        }
    )


def signature(secret: str, raw_body: bytes) -> str:
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, raw_body: bytes, header: str) -> bool:
    """Whether ``header`` (the value of ``X-OpenSPC-Signature``) signs ``raw_body``."""
    return hmac.compare_digest(signature(secret, raw_body), header)


def headers(delivery_id: int, event_type: str, secret: str, raw_body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(secret, raw_body),
        EVENT_HEADER: event_type,
        DELIVERY_HEADER: str(delivery_id),
    }
