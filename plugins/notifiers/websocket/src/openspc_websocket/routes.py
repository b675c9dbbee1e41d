"""``GET /api/v1/ws``: the live event stream (protocol in the plugin's README)."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from openspc_websocket.auth import Refused, authenticate
from openspc_websocket.connection import Client
from openspc_websocket.hub import WebSocketNotifier

router = APIRouter(tags=["live"])


@router.websocket("/ws")
async def live_events(websocket: WebSocket) -> None:
    hub: WebSocketNotifier = websocket.app.state.websocket_hub
    await websocket.accept()
    try:
        identity = await authenticate(websocket, hub.secret_key, hub.settings.auth_timeout_seconds)
    except WebSocketDisconnect:
        return
    except Refused as exc:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await websocket.close(1008, str(exc))
        return
    client = Client(websocket, identity, hub.settings.queue_size)
    hub.attach(client)
    try:
        await client.run(hub.handle)
    finally:
        hub.detach(client)
