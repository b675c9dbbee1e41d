"""What waits to be published as NDATA, per characteristic.

The outbox keeps the newest change of every characteristic rather than a queue of messages,
so its size is bounded by the number of characteristics and a slow broker only makes NDATA
messages fewer and fuller:

- a last value still waiting when a newer sample arrives is dropped (counted
  ``last_value_superseded``); only the newest sample of a batch is a candidate at all;
- limits: the newest version wins (it is the one in force);
- violations are never merged: each becomes its own ``Last Violation`` value, in order. Only
  beyond ``max_violations`` waiting ones is the oldest dropped (``violation_overflow``);
- violations and acknowledgments mark the characteristic for a recount of its unacknowledged
  violations from the database, so ``Alarm``, ``Alarm Severity`` and ``Unacknowledged`` are
  exact whatever was dropped.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openspc.engine.pipeline import BatchEvents
from openspc_mqtt_publisher.model import violation_text
from openspc_mqtt_publisher.tally import Tally


def epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


@dataclass(frozen=True)
class Limits:
    center_line: float | None
    ucl: float | None
    lcl: float | None
    at: int  # ms since epoch


@dataclass
class Change:
    last_value: tuple[float, int] | None = None  # (value, sample timestamp in ms)
    limits: Limits | None = None
    violations: deque[tuple[str, int]] = field(default_factory=deque)  # (text, created ms)
    recount: bool = False  # the unacknowledged violations changed


class Outbox:
    def __init__(self, max_violations: int, drops: Tally) -> None:
        self.max_violations = max_violations
        self.drops = drops
        self._changes: dict[int, Change] = {}
        self._violation_order: deque[int] = deque()  # characteristic of each waiting violation

    def add(self, events: BatchEvents) -> None:
        for cid, value in _newest_values(events.samples).items():
            change = self._change(cid)
            if change.last_value is not None:
                self.drops.add("last_value_superseded")
            change.last_value = value
        for limits in events.limits:
            self._change(limits["characteristic_id"]).limits = Limits(
                limits["center_line"], limits["ucl"], limits["lcl"], epoch_ms(limits["created_at"])
            )
        for v in events.violations:
            change = self._change(v["characteristic_id"])
            change.violations.append(
                (violation_text(v["rule_key"], v["sample_id"]), epoch_ms(v["created_at"]))
            )
            change.recount = True
            self._violation_order.append(v["characteristic_id"])
            if len(self._violation_order) > self.max_violations:
                self._changes[self._violation_order.popleft()].violations.popleft()
                self.drops.add("violation_overflow")
        for ack in getattr(events, "acks", []):
            self._change(ack["characteristic_id"]).recount = True

    def take(self) -> dict[int, Change]:
        """Everything waiting, in the order the characteristics first changed."""
        taken, self._changes = self._changes, {}
        self._violation_order.clear()
        return taken

    def _change(self, characteristic_id: int) -> Change:
        change = self._changes.get(characteristic_id)
        if change is None:
            change = self._changes[characteristic_id] = Change()
        return change


def _newest_values(samples: list[dict[str, Any]]) -> dict[int, tuple[float, int]]:
    """The plotted value of each characteristic's newest sample in a batch."""
    newest: dict[int, tuple[float, int]] = {}
    for s in samples:
        at = epoch_ms(s["timestamp"])
        cid = s["characteristic_id"]
        if cid not in newest or at >= newest[cid][1]:
            newest[cid] = (s["value"], at)
    return newest
