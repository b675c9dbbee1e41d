"""The ``webhook`` notifier the kernel runs: ``send`` only queues the committed batch in
memory; a dispatcher task matches its events against the enabled webhooks' filters and stores
one pending delivery per match; the :class:`DeliveryWorker` sends them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Connection

from openspc.engine.pipeline import BatchEvents
from openspc_webhook import repo
from openspc_webhook.config import WebhookSettings
from openspc_webhook.database import DatabaseThread
from openspc_webhook.matching import Matcher
from openspc_webhook.worker import DeliveryWorker

log = logging.getLogger(__name__)


class WebhookNotifier:
    """Constructed by the kernel at start-up; the API finds it on ``app.state``."""

    name = "webhook"

    def __init__(self, app: FastAPI) -> None:
        self.settings = WebhookSettings()
        self.db = DatabaseThread(app.state.kernel.engine)
        self.matcher = Matcher(self.settings.hierarchy_refresh_seconds)
        self.worker = DeliveryWorker(self.db, self.settings)
        self.dropped_batches = 0
        self._inbox: asyncio.Queue[BatchEvents] = asyncio.Queue(self.settings.inbox_batches)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._delivering: asyncio.Task[None] | None = None
        app.state.webhook_notifier = self

    # --- notifier interface ---------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.db.run(self.matcher.load)
        self._dispatcher = asyncio.create_task(self._dispatch(), name="openspc-webhook-dispatch")
        self._delivering = asyncio.create_task(self.worker.run(), name="openspc-webhook-deliver")

    async def stop(self) -> None:
        """Store deliveries for every batch received (the pipeline has drained), then stop
        sending; attempts cut short stay pending and are made again after the restart."""
        for task in (self._dispatcher, self._delivering):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        leftovers = []
        while not self._inbox.empty():
            leftovers.append(self._inbox.get_nowait())
        if leftovers:
            await self._queue(leftovers)
        self.db.close()

    async def send(self, events: BatchEvents) -> None:
        """Never waits: a batch with nothing webhooks send, or arriving while no webhook is
        enabled, is ignored; a full inbox drops the batch (counted) rather than block."""
        if not self.matcher.hooks or not (
            events.violations or events.limits or getattr(events, "acks", [])
        ):
            return
        try:
            self._inbox.put_nowait(events)
        except asyncio.QueueFull:
            self.dropped_batches += 1
            log.error("webhook inbox full (%d batches); a batch was dropped", self._inbox.maxsize)

    def health(self) -> dict[str, Any]:
        return {
            "webhooks": len(self.matcher.hooks),
            "in_flight": len(self.worker.in_flight),
            "inbox_batches": self._inbox.qsize(),
            "dropped_batches": self.dropped_batches,
        }

    # --- for the API (called from its worker threads) -------------------------------------

    def changed(self) -> None:
        """Webhooks or deliveries were changed and committed: reload the filters before the
        next batch is matched, and look for due deliveries."""
        self.db.call(self.matcher.load)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.worker.wake)

    # --- dispatch -------------------------------------------------------------------------

    async def _dispatch(self) -> None:
        while True:
            batches = [await self._inbox.get()]
            while not self._inbox.empty():
                batches.append(self._inbox.get_nowait())
            await self._queue(batches)

    async def _queue(self, batches: Sequence[BatchEvents]) -> None:
        try:
            queued = await self.db.run(partial(self._store, batches))
        except Exception:
            log.exception("storing webhook deliveries of %d batches failed", len(batches))
            return
        if queued:
            self.worker.wake()

    def _store(self, batches: Sequence[BatchEvents], conn: Connection) -> int:
        rows = self.matcher.deliveries(conn, batches, datetime.now(UTC))
        return len(repo.queue(conn, rows))
