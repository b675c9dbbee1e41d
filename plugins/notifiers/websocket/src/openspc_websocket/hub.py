"""The ``websocket`` notifier: the hub that fans each committed batch out to the clients
that subscribed to its characteristics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from openspc import metrics
from openspc.engine.pipeline import BatchEvents
from openspc_websocket import protocol
from openspc_websocket.auth import Refused, identify
from openspc_websocket.config import WebSocketSettings
from openspc_websocket.connection import Client
from openspc_websocket.subtrees import Subtrees

log = logging.getLogger(__name__)

INBOX_BATCHES = 1000  # batches waiting for fan-out at most (only a hung database query lags)


class WebSocketNotifier:
    """Constructed by the kernel at start-up; the ``/ws`` route finds it on ``app.state``.

    ``send`` only queues the batch: a dispatcher task brings hierarchy subscriptions up to
    date when needed, encodes every event once, and puts it on each subscribed client's
    bounded queue without waiting. A client whose queue is full is disconnected.
    """

    name = "websocket"
    #: its clients are connected to this process: with several processes on one database
    #: (scale-out relay) it also receives the events the other processes committed
    serves_local_clients = True

    def __init__(self, app: FastAPI) -> None:
        kernel = app.state.kernel
        self.settings = WebSocketSettings()
        self.secret_key: str = kernel.secret_key
        self.clients: set[Client] = set()
        self.subscribers: dict[int, set[Client]] = {}  # characteristic id → explicit subscribers
        self.subtrees = Subtrees(kernel.engine, self.settings.hierarchy_refresh_seconds)
        self.overflows = 0
        self._inbox: asyncio.Queue[BatchEvents] = asyncio.Queue(INBOX_BATCHES)
        self._tasks: list[asyncio.Task[None]] = []
        app.state.websocket_hub = self

    # --- notifier interface ---------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._dispatch(), name="openspc-websocket-dispatch"),
            asyncio.create_task(self._heartbeat(), name="openspc-websocket-heartbeat"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for client in list(self.clients):
            self._drop(client, 1001, "server shutting down")

    async def send(self, events: BatchEvents) -> None:
        if not self.clients:
            return
        try:
            self._inbox.put_nowait(events)
        except asyncio.QueueFull:
            log.error("websocket fan-out is %d batches behind; disconnecting all", INBOX_BATCHES)
            for client in list(self.clients):
                self._overflow(client)

    def health(self) -> dict[str, Any]:
        return {"clients": len(self.clients), "overflow_disconnects": self.overflows}

    # --- connections ----------------------------------------------------------------------

    def attach(self, client: Client) -> None:
        self.clients.add(client)
        metrics.websocket_clients.set(len(self.clients))

    def detach(self, client: Client) -> None:
        """Forget a client and its subscriptions (idempotent)."""
        if client not in self.clients:
            return
        self.clients.discard(client)
        for characteristic_id in client.characteristic_ids:
            subscribers = self.subscribers.get(characteristic_id)
            if subscribers is not None:
                subscribers.discard(client)
                if not subscribers:
                    del self.subscribers[characteristic_id]
        for root in client.hierarchy_ids:
            self.subtrees.remove(client, root)
        metrics.websocket_clients.set(len(self.clients))

    async def handle(self, client: Client, data: str | bytes) -> None:
        """One message from a client."""
        try:
            message = protocol.parse(data)
        except ValueError as exc:
            self._deliver(client, protocol.error(str(exc)))
            return
        if isinstance(message, protocol.Auth):
            try:
                client.identity = identify(self.secret_key, message.token)
            except Refused as exc:
                self._drop(client, 1008, str(exc))
            return
        problem = None
        if isinstance(message, protocol.Subscribe):
            problem = await self._subscribe(client, message)
        else:
            self._unsubscribe(client, message)
        if client.ended:
            return
        if problem is not None:
            self._deliver(client, protocol.error(problem))
            return
        self._deliver(
            client,
            protocol.subscribed(
                client.characteristic_ids,
                client.hierarchy_ids,
                self.subtrees.below(client.hierarchy_ids),
            ),
        )

    async def _subscribe(self, client: Client, message: protocol.Subscribe) -> str | None:
        for characteristic_id in message.characteristic_ids:
            client.characteristic_ids.add(characteristic_id)
            self.subscribers.setdefault(characteristic_id, set()).add(client)
        root = message.hierarchy_id
        if root is None:
            return None
        try:
            members = await self.subtrees.lookup(root)
        except SQLAlchemyError:
            log.exception("could not resolve hierarchy node %d", root)
            return f"could not resolve hierarchy node {root}; try again"
        if members is None:
            return f"hierarchy node {root} does not exist"
        if not client.ended:
            client.hierarchy_ids.add(root)
            self.subtrees.add(client, root, members)
        return None

    def _unsubscribe(self, client: Client, message: protocol.Unsubscribe) -> None:
        for characteristic_id in message.characteristic_ids:
            client.characteristic_ids.discard(characteristic_id)
            subscribers = self.subscribers.get(characteristic_id)
            if subscribers is not None:
                subscribers.discard(client)
                if not subscribers:
                    del self.subscribers[characteristic_id]
        if message.hierarchy_id is not None and message.hierarchy_id in client.hierarchy_ids:
            client.hierarchy_ids.discard(message.hierarchy_id)
            self.subtrees.remove(client, message.hierarchy_id)

    # --- delivery -------------------------------------------------------------------------

    async def _dispatch(self) -> None:
        while True:
            events = await self._inbox.get()
            if self.subtrees.watchers:
                ids = {p["characteristic_id"] for _, ps in protocol.events_of(events) for p in ps}
                try:
                    await self.subtrees.cover(ids)
                except SQLAlchemyError:
                    log.exception("could not refresh hierarchy subscriptions; using the last known")
            try:
                self._fan_out(events)
            except Exception:  # a malformed event must not stop delivery of the next batches
                log.exception("websocket fan-out of a batch failed")

    def _fan_out(self, events: BatchEvents) -> None:
        recipients: dict[int, list[Client]] = {}
        for message_type, payloads in protocol.events_of(events):
            for payload in payloads:
                characteristic_id = payload["characteristic_id"]
                clients = recipients.get(characteristic_id)
                if clients is None:
                    clients = recipients[characteristic_id] = self._recipients(characteristic_id)
                if clients:
                    message = protocol.event(message_type, payload)
                    for client in clients:
                        self._deliver(client, message)

    def _recipients(self, characteristic_id: int) -> list[Client]:
        explicit = self.subscribers.get(characteristic_id, set())
        below = self.subtrees.recipients(characteristic_id)
        return list(explicit | below if below else explicit)

    async def _heartbeat(self) -> None:
        interval = self.settings.heartbeat_seconds
        while True:
            await asyncio.sleep(interval)
            now = time.time()
            message = protocol.heartbeat(now, interval)
            for client in list(self.clients):
                if client.identity.expires_at <= now:
                    self._drop(client, 1008, "token expired")
                else:
                    self._deliver(client, message)

    def _deliver(self, client: Client, message: str) -> None:
        if not client.offer(message):
            self._overflow(client)

    def _overflow(self, client: Client) -> None:
        self.overflows += 1
        log.warning("%r is %d messages behind; disconnected", client, self.settings.queue_size)
        self._drop(client, 1013, "overflow", protocol.overflow(self.settings.queue_size))

    def _drop(self, client: Client, code: int, reason: str, message: str | None = None) -> None:
        client.end(code, reason, message)
        self.detach(client)
