"""One connected client: its subscriptions, its bounded queue, and the tasks that write the
queue to the socket and read the client's messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import WebSocket, WebSocketDisconnect

from openspc_websocket.auth import Identity

log = logging.getLogger(__name__)

CLOSE_TIMEOUT = 10.0  # seconds for the last message and the close frame to get through


@dataclass(frozen=True)
class Farewell:
    code: int
    reason: str
    message: str | None = None  # sent just before the close frame


class Client:
    def __init__(self, websocket: WebSocket, identity: Identity, queue_size: int) -> None:
        self.websocket = websocket
        self.identity = identity
        self.queue: asyncio.Queue[str] = asyncio.Queue(queue_size)
        self.characteristic_ids: set[int] = set()
        self.hierarchy_ids: set[int] = set()
        self._farewell: Farewell | None = None
        self._ended = asyncio.Event()

    def __repr__(self) -> str:
        peer = self.websocket.client
        return (
            f"<websocket client {self.identity.username}@{peer.host}:{peer.port}>"
            if peer
            else "<websocket client>"
        )

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    def offer(self, message: str) -> bool:
        """Queue a message without waiting; False when the queue is full."""
        if self.ended:
            return True
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            return False
        return True

    def end(self, code: int, reason: str, message: str | None = None) -> None:
        """Close the connection: what is still queued is dropped, ``message`` (if any) and
        the close frame are sent."""
        if not self.ended:
            self._farewell = Farewell(code, reason, message)
            self._ended.set()

    async def run(self, handle: Callable[[Client, str | bytes], Awaitable[None]]) -> None:
        """Until the client leaves or ``end()`` is called: write the queue to the socket and
        hand every message the client sends to ``handle``."""
        tasks = [
            asyncio.create_task(self._write()),
            asyncio.create_task(self._read(handle)),
            asyncio.create_task(self._ended.wait()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception) and not isinstance(result, WebSocketDisconnect):
                log.error("%r failed", self, exc_info=result)
                self.end(1011, "internal error")
        if self._farewell is not None:
            await self._say_goodbye(self._farewell)

    async def _write(self) -> None:
        # one message per frame; queue.get() does not yield while messages are waiting, so
        # a backlog is drained in a tight loop until the socket itself pushes back
        while True:
            await self.websocket.send_text(await self.queue.get())

    async def _read(self, handle: Callable[[Client, str | bytes], Awaitable[None]]) -> None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("text")
            await handle(self, data if data is not None else message.get("bytes") or b"")

    async def _say_goodbye(self, farewell: Farewell) -> None:
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                if farewell.message is not None:
                    await self.websocket.send_text(farewell.message)
                await self.websocket.close(farewell.code, farewell.reason)
        except (TimeoutError, WebSocketDisconnect, RuntimeError):
            log.info("%r: could not close cleanly (%d %s)", self, farewell.code, farewell.reason)
