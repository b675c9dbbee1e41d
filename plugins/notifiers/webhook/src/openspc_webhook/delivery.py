"""One delivery attempt over HTTP, and when to try again after a failed one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from openspc_webhook import signing

ERROR_BODY_BYTES = 200  # of a refusing endpoint's response, kept in the delivery log


@dataclass(frozen=True)
class Due:
    """A pending delivery to attempt, with its webhook's endpoint."""

    id: int
    webhook_id: int
    event_type: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    url: str
    secret: str
    timeout_seconds: float


@dataclass(frozen=True)
class Result:
    status_code: int | None
    error: str | None  # None: delivered


async def attempt(client: httpx.AsyncClient, due: Due) -> Result:
    """POST the signed event; any 2xx answer within the webhook's timeout delivers it.

    The timeout bounds the whole exchange (connect, send, answer headers), so an endpoint
    that trickles its answer cannot hold a slot longer. Redirects are not followed."""
    raw = signing.body(due.id, due.event_type, due.payload, due.created_at)
    headers = signing.headers(due.id, due.event_type, due.secret, raw)
    try:
        async with asyncio.timeout(due.timeout_seconds):
            async with client.stream("POST", due.url, content=raw, headers=headers) as response:
                if response.is_success:
                    return Result(response.status_code, None)
                text = await _start_of(response)
                error = f"HTTP {response.status_code}" + (f": {text}" if text else "")
                return Result(response.status_code, error)
    except TimeoutError:
        return Result(None, f"no answer within {due.timeout_seconds:g} s")
    except httpx.HTTPError as exc:
        return Result(None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


async def _start_of(response: httpx.Response) -> str:
    chunk = b""
    async for part in response.aiter_bytes():
        chunk += part
        if len(chunk) >= ERROR_BODY_BYTES:
            break
    return chunk[:ERROR_BODY_BYTES].decode(errors="replace").strip()


def backoff(attempts: int, base_seconds: float, max_seconds: float) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: base, 2·base, 4·base, … capped."""
    return float(min(base_seconds * 2.0 ** min(attempts - 1, 64), max_seconds))
