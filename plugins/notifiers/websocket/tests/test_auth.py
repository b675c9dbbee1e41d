"""Authentication on the WebSocket: a JWT access token by query or as the first message;
anything else is closed with 1008 (policy violation), and so is a token that expires."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx

from openspc.security import issue_token
from openspc.testing.builders import Plant

from .conftest import Server, listener


def _token(
    server: Server, lifetime: timedelta, kind: str = "access", role: str = "operator"
) -> str:
    secret = server.settings.secret_key
    assert secret
    return issue_token(secret, "someone", role, kind, lifetime)  # type: ignore[arg-type]


async def test_token_by_query_or_first_message_receives_events(serve, sqlite_url):
    cid = Plant(sqlite_url).characteristic()
    server = serve(sqlite_url)
    token = server.token()
    operator = _token(server, timedelta(minutes=5))
    async with (
        listener(f"{server.ws_url}?token={token}") as by_query,
        listener(server.ws_url) as by_message,
    ):
        await by_message.send({"type": "auth", "token": operator})
        for ws in (by_query, by_message):
            await ws.send({"type": "subscribe", "characteristic_ids": [cid]})
            await ws.next_of("subscribed")
        r = httpx.post(
            f"{server.url}/api/v1/characteristics/{cid}/samples",
            json={"measurements": [5.0]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        sample_id = r.json()["sample"]["id"]
        for ws in (by_query, by_message):
            sample = ws.messages[await ws.next_of("sample")]
            violation = ws.messages[await ws.next_of("violation")]
            assert sample["payload"]["id"] == sample_id
            assert sample["payload"]["measurements"] == [5.0]
            assert violation["payload"]["sample_id"] == sample_id
            assert violation["payload"]["rule_id"] == 1


async def test_refused_connections_are_closed_with_1008(serve, sqlite_url):
    server = serve(sqlite_url, auth_timeout_seconds=0.5)
    expired = _token(server, timedelta(seconds=-5))
    refresh = _token(server, timedelta(minutes=5), kind="refresh")
    forged = issue_token(
        "another-key-with-enough-entropy-0123456789",
        "admin",
        "admin",
        "access",
        timedelta(minutes=5),
    )
    by_query = {"garbage": "not-a-jwt", "expired": expired, "refresh": refresh, "forged": forged}
    for case, token in by_query.items():
        async with listener(f"{server.ws_url}?token={token}") as ws:
            code, reason = await ws.closed()
        assert code == 1008, case
        assert reason in {"invalid token", "token expired"}, case
        assert ws.messages == [], case
    first_messages = {
        "expired": {"type": "auth", "token": expired},
        "not auth": {"type": "subscribe", "characteristic_ids": [1]},
        "not json": "hello",
    }
    for case, first in first_messages.items():
        async with listener(server.ws_url) as ws:
            if isinstance(first, str):
                await ws.connection.send(first)
            else:
                await ws.send(first)
            code, _ = await ws.closed()
        assert code == 1008, case
        assert ws.messages == [], case
    async with listener(server.ws_url) as silent:
        started = time.monotonic()
        code, reason = await silent.closed()
    assert (code, reason) == (1008, "authentication timeout")
    assert 0.4 < time.monotonic() - started < 3


async def test_closed_when_the_token_expires_unless_renewed(serve, sqlite_url):
    server = serve(sqlite_url, heartbeat_seconds=0.2)
    async with (
        listener(f"{server.ws_url}?token={_token(server, timedelta(seconds=2))}") as lapsing,
        listener(f"{server.ws_url}?token={_token(server, timedelta(seconds=2))}") as renewed,
    ):
        await renewed.send({"type": "auth", "token": _token(server, timedelta(minutes=5))})
        code, reason = await lapsing.closed(timeout=5)
        assert (code, reason) == (1008, "token expired")
        assert lapsing.of_type("heartbeat"), "heartbeats flowed until the expiry"
        seen = len(renewed.messages)
        await asyncio.sleep(0.6)
        assert renewed.close_code is None
        assert len(renewed.of_type("heartbeat", start=seen)) >= 2
