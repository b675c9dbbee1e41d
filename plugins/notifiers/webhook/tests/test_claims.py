"""Several processes on one database: a delivery is claimed by one worker at a time (a lease
on ``next_attempt_at``, locked with ``SKIP LOCKED`` on PostgreSQL), a lease that ends makes
it due again, and a worker that stops releases the attempts it cut short."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from openspc.db.engine import make_engine
from openspc_webhook import repo
from openspc_webhook.config import WebhookSettings
from openspc_webhook.database import DatabaseThread
from openspc_webhook.delivery import Due
from openspc_webhook.tables import WebhookDelivery
from openspc_webhook.worker import LEASE_MARGIN_SECONDS, DeliveryWorker

from .conftest import TEST_SETTINGS, Receiver

DELIVERIES = 120  # to three webhooks of one endpoint, queued in four chunks
TIMEOUT = 5.0  # each webhook's


class CountingWorker(DeliveryWorker):
    """A worker that remembers which deliveries it started attempts of."""

    def __init__(self, db: DatabaseThread, settings: WebhookSettings) -> None:
        super().__init__(db, settings)
        self.started: list[int] = []

    def _start(self, client: httpx.AsyncClient, due: Due) -> None:
        self.started.append(due.id)
        super()._start(client, due)


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("needs two processes' worth of concurrency: PostgreSQL only")
    return database_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    built = make_engine(database_url)
    yield built
    built.dispose()


def settings(**overrides: Any) -> WebhookSettings:
    return WebhookSettings(**{**TEST_SETTINGS, **overrides})


def create_webhook(conn: Any, url: str, name: str) -> Any:
    values = {
        "name": name,
        "url": url,
        "secret": "s" * 16,
        "enabled": True,
        "filters": {},
        "timeout_seconds": TIMEOUT,
    }
    return repo.create(conn, values)


def queue(conn: Any, webhook_ids: list[int], count: int, at: datetime) -> list[int]:
    rows = [
        {
            "webhook_id": webhook_ids[i % len(webhook_ids)],
            "event_type": "test",
            "payload": {"n": i},
            "created_at": at,
        }
        for i in range(count)
    ]
    return [row.id for row in repo.queue(conn, rows)]


def log(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(WebhookDelivery).order_by(WebhookDelivery.id)))


@contextlib.asynccontextmanager
async def running(*workers: DeliveryWorker) -> AsyncIterator[None]:
    """Run the workers (each on its own database thread); stop them and close their
    threads afterwards."""
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for w in workers:
            w.db.close()
            w.db.engine.dispose()


async def until(done: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "never got there"
        await asyncio.sleep(0.02)


async def test_two_processes_attempt_each_delivery_once(
    postgres_url: str, engine: Engine, receiver: Receiver
) -> None:
    receiver.hang_seconds = 0.02  # attempts overlap, so both workers keep claiming
    config = settings(max_concurrency=4, per_endpoint_concurrency=2)
    workers = [CountingWorker(DatabaseThread(make_engine(postgres_url)), config) for _ in "AB"]
    with engine.begin() as conn:
        hooks = [create_webhook(conn, receiver.url, f"h{i}").id for i in range(3)]

    queued: list[int] = []
    async with running(*workers):
        for _ in range(4):
            with engine.begin() as conn:
                queued += queue(conn, hooks, DELIVERIES // 4, datetime.now(UTC))
            for w in workers:
                w.wake()
            await asyncio.sleep(0.05)
        await until(
            lambda: (
                all(d.status == "delivered" for d in log(engine))
                and not any(w.in_flight for w in workers)
            )
        )

    received = Counter(int(r.headers["x-openspc-delivery"]) for r in receiver.requests)
    assert received == Counter(queued)  # each delivery received once
    started = [w.started for w in workers]
    assert sorted(started[0] + started[1]) == sorted(queued)  # and attempted once
    assert all(started), "both workers should have attempted deliveries"
    rows = log(engine)
    assert [d.id for d in rows] == sorted(queued)
    for d in rows:
        assert (d.status, d.attempts, d.last_status_code, d.last_error) == (
            "delivered",
            1,
            200,
            None,
        )
        assert d.next_attempt_at is None and d.delivered_at is not None


async def test_a_delivery_is_due_again_when_its_lease_ends(
    database_url: str, engine: Engine, receiver: Receiver
) -> None:
    lease = timedelta(seconds=TIMEOUT + LEASE_MARGIN_SECONDS)
    claimed_at = datetime.now(UTC) - lease - timedelta(seconds=1)
    with engine.begin() as conn:
        hook = create_webhook(conn, receiver.url, "h").id
        [delivery] = queue(conn, [hook], 1, claimed_at)

    # a process claimed it, then died mid-attempt: the lease is all that is left of it
    dead = DeliveryWorker(DatabaseThread(make_engine(database_url)), settings())
    claimed, _ = dead.db.call(
        lambda conn: dead._claim(conn, now=claimed_at, limit=4, busy=Counter(), skip=[])
    )
    dead.db.close()
    dead.db.engine.dispose()
    assert [d.id for d in claimed] == [delivery]

    def due(at: datetime) -> list[int]:
        with engine.connect() as conn:
            rows = repo.due(conn, at, limit=4, skip_deliveries=[], skip_webhooks=[])
            return [row.id for row in rows]

    assert due(claimed_at + lease - timedelta(milliseconds=1)) == []
    assert due(claimed_at + lease) == [delivery]

    worker = DeliveryWorker(DatabaseThread(make_engine(database_url)), settings())
    async with running(worker):
        await until(lambda: log(engine)[0].status == "delivered")
    [logged] = log(engine)
    assert (logged.attempts, logged.last_status_code, logged.last_error) == (1, 200, None)
    assert [int(r.headers["x-openspc-delivery"]) for r in receiver.requests] == [delivery]


async def test_a_stopping_worker_releases_the_attempts_it_cut_short(
    database_url: str, engine: Engine, receiver: Receiver
) -> None:
    receiver.hang_seconds = 60.0  # released at teardown
    with engine.begin() as conn:
        hook = create_webhook(conn, receiver.url, "h").id
        [delivery] = queue(conn, [hook], 1, datetime.now(UTC))

    worker = DeliveryWorker(DatabaseThread(make_engine(database_url)), settings())
    async with running(worker):
        await asyncio.to_thread(receiver.wait_for, 1)
        [leased] = log(engine)
        assert leased.next_attempt_at > datetime.now(UTC)  # leased while attempted
    [released] = log(engine)
    assert (released.status, released.attempts) == ("pending", 0)
    assert released.next_attempt_at <= datetime.now(UTC)  # due again at once
    assert released.id == delivery
