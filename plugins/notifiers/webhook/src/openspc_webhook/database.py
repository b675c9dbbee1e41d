"""The plugin's database thread: keeps blocking SQL off the event loop, one job at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")


class DatabaseThread:
    """Runs ``job(conn)`` in one transaction on a single worker thread, so that jobs run in
    the order they were submitted and the plugin never holds more than one connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openspc-webhook")

    def _transaction(self, job: Callable[[Connection], T]) -> T:
        with self.engine.begin() as conn:
            return job(conn)

    async def run(self, job: Callable[[Connection], T]) -> T:
        """From the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transaction, job)

    def call(self, job: Callable[[Connection], T]) -> T:
        """From another thread (blocks it until the job is done)."""
        return self._executor.submit(self._transaction, job).result()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
