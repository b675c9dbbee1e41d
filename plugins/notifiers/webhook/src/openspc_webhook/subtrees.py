"""Hierarchy filters: which characteristics lie on or below the nodes the webhooks name."""

from __future__ import annotations

import math
import time

from sqlalchemy import Connection

from openspc.db.repo.hierarchy import characteristics_below


class Subtrees:
    """The characteristics below each filtered node, cached.

    All filtered nodes are resolved again, with one query, when a node is filtered that was
    not before, when a batch brings a characteristic not seen since the last resolution (e.g.
    one created after it), and at the latest every ``refresh_seconds`` (moved nodes). Used
    from one thread only (the notifier's database thread).
    """

    def __init__(self, refresh_seconds: float) -> None:
        self.refresh_seconds = refresh_seconds
        self.members: dict[int, frozenset[int]] = {}
        self._known: set[int] = set()
        self._resolved_at = -math.inf

    def resolve(
        self, conn: Connection, roots: set[int], characteristic_ids: set[int]
    ) -> dict[int, frozenset[int]]:
        """The members of every root in ``roots`` (empty for a node that does not exist),
        current for ``characteristic_ids``."""
        stale = time.monotonic() - self._resolved_at > self.refresh_seconds
        if roots and (
            stale or not roots <= self.members.keys() or not characteristic_ids <= self._known
        ):
            started = time.monotonic()
            found = characteristics_below(conn, roots)
            self.members = {root: found.get(root, frozenset()) for root in roots}
            self._known.update(characteristic_ids, *self.members.values())
            self._resolved_at = started
        return self.members
