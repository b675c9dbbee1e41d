"""The Sparkplug B edge-node session of OpenSPC, without I/O: topics, ``bdSeq``, ``seq`` and
the NBIRTH/NDATA/NDEATH payloads built from the characteristics' states.

- ``connect()`` before every MQTT connect: ``bdSeq`` goes up by one (0..255, wrapping) and
  the NDEATH for that connection's will is returned.
- ``birth(states)``: the NBIRTH (``bdSeq``, ``Node Control/Rebirth`` and every metric of every
  characteristic), ``seq`` 0. Also for a rebirth (same ``bdSeq``).
- ``data(changes, alarms)``: one NDATA with the metrics that changed, by alias only, or None.
  ``seq`` runs 0..255 across NBIRTH and NDATA and wraps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from openspc_mqtt_publisher.changes import Change, Limits
from openspc_mqtt_publisher.model import (
    Alarm,
    CharacteristicState,
    Field,
    Value,
    alias,
)
from openspc_sparkplug.codec import Metric, encode_nbirth, encode_ndeath, encode_payload
from openspc_sparkplug.topics import MessageType, Topic


class EdgeNodeSession:
    def __init__(self, group: str, node: str) -> None:
        self.topics = {
            kind: str(Topic(group, kind, node))
            for kind in (
                MessageType.NBIRTH,
                MessageType.NDATA,
                MessageType.NDEATH,
                MessageType.NCMD,
            )
        }
        self.bd_seq = -1  # of the current (or last) connection
        self.states: dict[int, CharacteristicState] = {}
        self._seq = 0

    def connect(self) -> bytes:
        """The next connection's ``bdSeq``; returns its NDEATH (the MQTT will)."""
        self.bd_seq = (self.bd_seq + 1) % 256
        return self.death()

    def death(self) -> bytes:
        return encode_ndeath(self.bd_seq)

    def knows(self, characteristic_id: int) -> bool:
        return characteristic_id in self.states

    def birth(self, states: Iterable[CharacteristicState], now: int) -> bytes:
        self.states = {s.id: s for s in states}
        metrics = [m for s in self.states.values() for m in s.birth_metrics(now)]
        self._seq = 0
        return encode_nbirth(metrics, bd_seq=self.bd_seq, timestamp=now, seq=self._next_seq())

    def data(
        self, changes: Mapping[int, Change], alarms: Mapping[int, Alarm], now: int
    ) -> bytes | None:
        """Apply the changes of known characteristics; the NDATA of what changed, if any."""
        metrics: list[Metric] = []
        for cid, change in changes.items():
            state = self.states.get(cid)
            if state is not None:
                metrics += _apply(state, change, alarms.get(cid), now)
        if not metrics:
            return None
        return encode_payload(metrics, timestamp=now, seq=self._next_seq())

    def _next_seq(self) -> int:
        seq = self._seq
        self._seq = (seq + 1) % 256
        return seq


def _apply(
    state: CharacteristicState, change: Change, alarm: Alarm | None, now: int
) -> list[Metric]:
    out: list[Metric] = []

    def emit(field: Field, value: Value, at: int) -> None:
        out.append(
            Metric(alias=alias(state.id, field), datatype=field.datatype, value=value, timestamp=at)
        )

    if change.last_value is not None:
        last, at = change.last_value
        if state.last_value_at is None or at >= state.last_value_at:  # history does not count
            state.last_value, state.last_value_at = last, at
            emit(Field.LAST_VALUE, last, at)
    if change.limits is not None:
        for field, line in _limits_changed(state, change.limits):
            emit(field, line, change.limits.at)
    for text, at in change.violations:
        state.last_violation, state.last_violation_at = text, at
        emit(Field.LAST_VIOLATION, text, at)
    if alarm is not None:
        before, state.alarm = state.alarm, alarm
        if alarm.unacknowledged != before.unacknowledged:
            emit(Field.UNACKNOWLEDGED, alarm.unacknowledged, now)
        if (alarm.unacknowledged > 0) != (before.unacknowledged > 0):
            emit(Field.ALARM, alarm.unacknowledged > 0, now)
        if alarm.severity != before.severity:
            emit(Field.ALARM_SEVERITY, alarm.severity, now)
    return out


def _limits_changed(state: CharacteristicState, limits: Limits) -> list[tuple[Field, Value]]:
    changed: list[tuple[Field, Value]] = []
    for field, attribute in (
        (Field.CENTER_LINE, "center_line"),
        (Field.UCL, "ucl"),
        (Field.LCL, "lcl"),
    ):
        value = getattr(limits, attribute)
        if value != getattr(state, attribute):
            setattr(state, attribute, value)
            changed.append((field, value))
    state.limits_at = limits.at
    return changed
