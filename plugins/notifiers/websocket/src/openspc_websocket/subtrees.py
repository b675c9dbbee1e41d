"""Hierarchy subscriptions: which characteristics lie below the watched hierarchy nodes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection

from sqlalchemy import Engine

from openspc.db.repo.hierarchy import characteristics_below
from openspc_websocket.connection import Client


class Subtrees:
    """Who watches which hierarchy node, and which characteristics each watched node covers.

    A node's characteristics are resolved when it is first watched; all watched nodes are
    resolved again (one query) when a batch brings a characteristic id not seen since, e.g.
    one created after the subscription, and at the latest every ``refresh_seconds`` so that
    moved nodes and characteristics are followed.
    """

    def __init__(self, engine: Engine, refresh_seconds: float) -> None:
        self.engine = engine
        self.refresh_seconds = refresh_seconds
        self.watchers: dict[int, set[Client]] = {}
        self.members: dict[int, frozenset[int]] = {}
        self._roots_of: dict[int, list[int]] = {}
        self._known: set[int] = set()
        self._resolved_at = time.monotonic()

    async def lookup(self, root: int) -> frozenset[int] | None:
        """The characteristics below ``root`` now (None: no such node)."""
        return (await self._resolve([root])).get(root)

    def add(self, client: Client, root: int, members: frozenset[int]) -> None:
        self.watchers.setdefault(root, set()).add(client)
        self.members[root] = members
        self._index()

    def remove(self, client: Client, root: int) -> None:
        watchers = self.watchers.get(root)
        if watchers is None:
            return
        watchers.discard(client)
        if not watchers:
            del self.watchers[root]
            del self.members[root]
            self._index()

    def below(self, roots: Collection[int]) -> frozenset[int]:
        return frozenset().union(*(self.members[r] for r in roots if r in self.members))

    def recipients(self, characteristic_id: int) -> set[Client]:
        roots = self._roots_of.get(characteristic_id)
        if not roots:
            return set()
        return set().union(*(self.watchers[r] for r in roots))

    async def cover(self, characteristic_ids: set[int]) -> None:
        """Make sure the membership of these characteristics is current (see the class)."""
        if not self.watchers:
            return
        stale = time.monotonic() - self._resolved_at > self.refresh_seconds
        if not stale and characteristic_ids <= self._known:
            return
        roots = list(self.watchers)
        started = time.monotonic()
        found = await self._resolve(roots)
        self._resolved_at = started
        for root in roots:
            if root in self.watchers:  # still watched after the query
                self.members[root] = found.get(root, frozenset())
        self._known |= characteristic_ids
        self._index()

    async def _resolve(self, roots: list[int]) -> dict[int, frozenset[int]]:
        def query() -> dict[int, frozenset[int]]:
            with self.engine.connect() as conn:
                return characteristics_below(conn, roots)

        return await asyncio.to_thread(query)

    def _index(self) -> None:
        roots_of: dict[int, list[int]] = {}
        for root, members in self.members.items():
            for characteristic_id in members:
                roots_of.setdefault(characteristic_id, []).append(root)
        self._roots_of = roots_of
        self._known |= roots_of.keys()
