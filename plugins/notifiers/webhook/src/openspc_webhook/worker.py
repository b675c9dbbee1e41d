"""The delivery worker: attempts due deliveries in the background and keeps the log.

Pending deliveries live in the database, so a restart resumes them (an attempt cut short by
a shutdown is made again: delivery is at least once). At most ``max_concurrency`` requests
are in flight, and at most ``per_endpoint_concurrency`` to one webhook, so a hanging endpoint
holds a few slots for its timeout and no more. A failed attempt is tried again after
``backoff_base_seconds``, then twice as long each time, until ``max_attempts``.

Several processes may share one PostgreSQL database (scale-out): a delivery is claimed in a
short transaction that locks it (``SKIP LOCKED``) and moves its ``next_attempt_at`` forward by
a lease, the webhook's timeout plus ``LEASE_MARGIN_SECONDS``, so that no process finds it due
while this one attempts it; the attempt's result then sets its status or next attempt. A
process that dies mid-attempt leaves the lease to expire, and the delivery is attempted again.
A process that stops makes its unfinished attempts due at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
from sqlalchemy import Connection

from openspc import __version__
from openspc_webhook import repo
from openspc_webhook.config import WebhookSettings
from openspc_webhook.database import DatabaseThread
from openspc_webhook.delivery import Due, Result, attempt, backoff
from openspc_webhook.tables import DELIVERED, FAILED, PENDING

log = logging.getLogger(__name__)

IDLE_SECONDS = 60.0  # the longest sleep: due times and retention are looked at this often
ERROR_PAUSE_SECONDS = 5.0  # after the database failed
PURGE_EVERY_SECONDS = 3600.0
# A claimed delivery is not due for its webhook's timeout plus this: time to start the
# attempt and record its result (the database thread may be busy; the database may be slow).
LEASE_MARGIN_SECONDS = 30.0
USER_AGENT = f"OpenSPC/{__version__} (webhook)"


class DeliveryWorker:
    def __init__(self, db: DatabaseThread, settings: WebhookSettings) -> None:
        self.db = db
        self.settings = settings
        self.in_flight: dict[int, Due] = {}  # by delivery id
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._purge_at = 0.0

    def wake(self) -> None:
        """Look for due deliveries now (from the event loop's thread)."""
        self._wake.set()

    async def run(self) -> None:
        limits = httpx.Limits(max_connections=self.settings.max_concurrency)
        async with httpx.AsyncClient(
            limits=limits, timeout=None, headers={"User-Agent": USER_AGENT}
        ) as client:
            try:
                while True:
                    self._wake.clear()
                    try:
                        await self._purge_when_due()
                        wait = await self._start_due(client)
                    except Exception:
                        log.exception("webhook delivery scheduling failed; trying again")
                        wait = ERROR_PAUSE_SECONDS
                    if wait > 0:
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(wait):
                                await self._wake.wait()
            finally:
                cut_short = {d.id: d.attempts for d in self.in_flight.values()}
                for task in self._tasks:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)
                await self._release(cut_short)

    async def _start_due(self, client: httpx.AsyncClient) -> float:
        """Start the due deliveries there is room for; seconds until one may be due next
        (0: look again at once; a finishing attempt wakes the worker anyway)."""
        settings = self.settings
        free = settings.max_concurrency - len(self.in_flight)
        if free <= 0:
            return IDLE_SECONDS
        busy = Counter(d.webhook_id for d in self.in_flight.values())
        now = datetime.now(UTC)
        claimed, more = await self.db.run(
            partial(self._claim, now=now, limit=free, busy=busy, skip=list(self.in_flight))
        )
        for due in claimed:
            self._start(client, due)
        if more:  # more may be due, of webhooks not full now
            return 0.0
        next_at = await self.db.run(partial(repo.next_due_at, after=now))
        if next_at is None:
            return IDLE_SECONDS
        return min(max((next_at - datetime.now(UTC)).total_seconds(), 0.0), IDLE_SECONDS)

    def _claim(
        self, conn: Connection, *, now: datetime, limit: int, busy: Counter[int], skip: list[int]
    ) -> tuple[list[Due], bool]:
        """In one transaction: lock up to ``limit`` due deliveries (not ``skip``, the ones in
        flight; ``busy``: requests in flight per webhook), keep those their webhook has room
        for, and lease them. The claimed deliveries, and whether more may be due."""
        per_endpoint = self.settings.per_endpoint_concurrency
        full = {w for w, n in busy.items() if n >= per_endpoint}
        rows = repo.due(conn, now, limit=limit, skip_deliveries=skip, skip_webhooks=full)
        busy = Counter(busy)
        claimed = []
        for row in rows:
            if busy[row.webhook_id] < per_endpoint:
                busy[row.webhook_id] += 1
                claimed.append(_due(row))
        repo.lease(
            conn,
            {
                d.id: now + timedelta(seconds=d.timeout_seconds + LEASE_MARGIN_SECONDS)
                for d in claimed
            },
        )
        return claimed, len(rows) == limit

    async def _release(self, attempts: dict[int, int]) -> None:
        """At shutdown: the attempts cut short are due again at once (for the next start or
        another process), rather than when their lease ends."""
        if not attempts:
            return
        try:
            await self.db.run(partial(repo.release, attempts=attempts, now=datetime.now(UTC)))
        except Exception:
            log.exception("releasing %d webhook deliveries failed", len(attempts))

    def _start(self, client: httpx.AsyncClient, due: Due) -> None:
        self.in_flight[due.id] = due
        task = asyncio.create_task(self._deliver(client, due), name=f"openspc-webhook-{due.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, client: httpx.AsyncClient, due: Due) -> None:
        try:
            result = await attempt(client, due)
            if result.error is not None:
                log.warning(
                    "webhook %d: delivery %d attempt %d failed: %s",
                    due.webhook_id,
                    due.id,
                    due.attempts + 1,
                    result.error,
                )
            await self.db.run(partial(self._record, due, result))
        except Exception:
            log.exception("webhook %d: recording delivery %d failed", due.webhook_id, due.id)
        finally:
            del self.in_flight[due.id]
            self.wake()

    def _record(self, due: Due, result: Result, conn: Connection) -> None:
        now = datetime.now(UTC)
        attempts = due.attempts + 1
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_status_code": result.status_code,
            "last_error": result.error,
            "next_attempt_at": None,
        }
        if result.error is None:
            values.update(status=DELIVERED, delivered_at=now)
        elif attempts >= self.settings.max_attempts:
            values.update(status=FAILED)
        else:
            wait = backoff(
                attempts, self.settings.backoff_base_seconds, self.settings.backoff_max_seconds
            )
            values.update(status=PENDING, next_attempt_at=now + timedelta(seconds=wait))
        repo.update_delivery(conn, due.id, values)

    async def _purge_when_due(self) -> None:
        if time.monotonic() < self._purge_at:
            return
        before = datetime.now(UTC) - timedelta(days=self.settings.retention_days)
        purged = await self.db.run(partial(repo.purge, before=before))
        if purged:
            log.info("forgot %d webhook deliveries older than %s", purged, before.isoformat())
        self._purge_at = time.monotonic() + PURGE_EVERY_SECONDS


def _due(row: Any) -> Due:
    return Due(
        id=row.id,
        webhook_id=row.webhook_id,
        event_type=row.event_type,
        payload=row.payload,
        attempts=row.attempts,
        created_at=row.created_at,
        url=row.url,
        secret=row.secret,
        timeout_seconds=row.timeout_seconds,
    )
