"""Which characteristic takes which tag: loaded from the database with one query.

A characteristic with ``source = "TAG"`` names its tag (``sparkplug://...`` or
``mqtt://<topic>[#<field>]``, see :mod:`openspc_sparkplug.topics`). The provider reloads the
map on an interval and, rate-limited, when a value of an unknown tag arrives, so a binding
made or changed through the API (in this process or another) applies without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import Engine, select

from openspc.db.models import Characteristic
from openspc_sparkplug.topics import (
    MQTT_SCHEME,
    NAMESPACE,
    SPARKPLUG_SCHEME,
    TopicError,
    parse_mqtt_tag,
    parse_sparkplug_tag,
)

log = logging.getLogger(__name__)


class Binding(NamedTuple):
    characteristic_id: int
    subgroup_size: int


@dataclass(frozen=True)
class BindingMap:
    by_tag: dict[str, Binding] = field(default_factory=dict)
    # plain MQTT: topic -> the (JSON field or None, tag) pairs bound on it
    plain: dict[str, tuple[tuple[str | None, str], ...]] = field(default_factory=dict)
    invalid: dict[str, int] = field(default_factory=dict)  # tag -> characteristic id

    @classmethod
    def from_rows(cls, rows: list[tuple[int, str, int]]) -> BindingMap:
        """``(characteristic id, tag, subgroup size)`` rows; tags that name no value stream
        OpenSPC can subscribe to are set aside in ``invalid``."""
        by_tag: dict[str, Binding] = {}
        plain: dict[str, list[tuple[str | None, str]]] = {}
        invalid: dict[str, int] = {}
        for characteristic_id, tag, subgroup_size in rows:
            try:
                if tag.startswith(SPARKPLUG_SCHEME):
                    parse_sparkplug_tag(tag)
                elif tag.startswith(MQTT_SCHEME):
                    parsed = parse_mqtt_tag(tag)
                    if parsed.topic.split("/", 1)[0] == NAMESPACE:
                        raise TopicError("a Sparkplug topic is bound with sparkplug://")
                    plain.setdefault(parsed.topic, []).append((parsed.field, tag))
                else:
                    raise TopicError("unknown scheme")
            except TopicError:
                invalid[tag] = characteristic_id
                continue
            by_tag[tag] = Binding(characteristic_id, subgroup_size)
        return cls(by_tag, {topic: tuple(pairs) for topic, pairs in plain.items()}, invalid)


def load_bindings(engine: Engine) -> BindingMap:
    """Every TAG characteristic's binding, with one query."""
    query = select(Characteristic.id, Characteristic.tag, Characteristic.subgroup_size).where(
        Characteristic.source == "TAG", Characteristic.tag.is_not(None)
    )
    with engine.connect() as conn:
        rows = [(int(r.id), str(r.tag), int(r.subgroup_size)) for r in conn.execute(query)]
    return BindingMap.from_rows(rows)


class BindingSource:
    """The current map, reloaded every ``interval`` seconds, and on an unknown tag at most
    every ``unknown_interval`` seconds (``now`` is any monotonic clock in seconds)."""

    def __init__(self, engine: Engine, *, interval: float, unknown_interval: float) -> None:
        self.engine = engine
        self.interval = interval
        self.unknown_interval = unknown_interval
        self.current = BindingMap()
        self.loaded_at: float | None = None
        self._warned: set[str] = set()

    def next_due(self) -> float:
        return 0.0 if self.loaded_at is None else self.loaded_at + self.interval

    def may_reload_for_unknown(self, now: float) -> bool:
        return self.loaded_at is None or now - self.loaded_at >= self.unknown_interval

    async def reload(self, now: float) -> BindingMap:
        """Load the map (in a worker thread); on a database error keep the current one."""
        self.loaded_at = now
        try:
            loaded = await asyncio.to_thread(load_bindings, self.engine)
        except Exception as exc:  # the database may be down: keep ingesting with what we know
            log.warning("could not reload the tag bindings (%s); keeping the current ones", exc)
            return self.current
        for tag, characteristic_id in loaded.invalid.items():
            if tag not in self._warned:
                self._warned.add(tag)
                log.warning(
                    "characteristic %d has tag %r, which names no sparkplug:// metric or "
                    "plain mqtt:// topic; it gets no data",
                    characteristic_id,
                    tag,
                )
        self.current = loaded
        return loaded
