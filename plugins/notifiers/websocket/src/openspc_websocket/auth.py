"""Who is on the other end: a JWT access token, from ``?token=`` or the first message."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import jwt
from fastapi import WebSocket, WebSocketDisconnect

from openspc.security import InvalidToken, read_token
from openspc_websocket.protocol import Auth, parse


class Refused(Exception):
    """Authentication failed; the socket is closed with 1008 and this reason."""


@dataclass(frozen=True)
class Identity:
    username: str
    role: str
    expires_at: float  # the token's ``exp`` (seconds since the epoch)


def identify(secret: str, token: str) -> Identity:
    """The identity of a valid access token (any role may watch); raises ``Refused``."""
    try:
        claims = read_token(secret, token, "access")
    except InvalidToken as exc:
        raise Refused(str(exc)) from None
    # read_token verified the signature and that ``exp`` is present and in the future
    expires_at = jwt.decode(token, options={"verify_signature": False})["exp"]
    return Identity(claims.username, claims.role, float(expires_at))


async def authenticate(websocket: WebSocket, secret: str, timeout: float) -> Identity:
    """Raises ``Refused``, or ``WebSocketDisconnect`` when the client left first."""
    token = websocket.query_params.get("token")
    if token is None:
        token = await _token_from_first_message(websocket, timeout)
    return identify(secret, token)


async def _token_from_first_message(websocket: WebSocket, timeout: float) -> str:
    try:
        async with asyncio.timeout(timeout):
            message = await websocket.receive()
    except TimeoutError:
        raise Refused("authentication timeout") from None
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    data = message.get("text")
    try:
        first = parse(data if data is not None else message.get("bytes") or b"")
    except ValueError:
        first = None
    if not isinstance(first, Auth):
        raise Refused("the first message must be {type: auth, token}")
    return first.token
