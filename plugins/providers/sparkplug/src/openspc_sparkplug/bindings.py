"""Which characteristic takes which tag: loaded from the database with one query.

A characteristic with ``source = "TAG"`` names its tag (``sparkplug://...`` or
``mqtt://<topic>[#<field>]``, see :mod:`openspc_sparkplug.topics`). The provider reloads the
map on an interval and, rate-limited, when a value of an unknown tag arrives, so a binding
made or changed through the API (in this process or another) applies without a restart.

An attribute chart (p, np, c, u) takes each value of its tag as a count, one sample each.
Its sample size is the characteristic's fixed size, or a second value named by a
``?size=<name>`` suffix (the one place this syntax is parsed, :func:`parse_binding`):

- ``sparkplug://<group>/<node>[/<device>]/<count metric>?size=<size metric>``: the size
  metric sits next to the count metric: the URI with the part after its last ``/`` replaced
  by ``<size metric>`` (``.../Vision/Quality/Rejects?size=Inspected`` pairs
  ``Quality/Rejects`` with ``Quality/Inspected``). A count takes the size value with the same
  timestamp in the same message, else the size metric's latest value (Sparkplug reports by
  exception: an unchanged size need not be sent again).
- ``mqtt://<topic>#<count field>?size=<size field>``: the size is another field of the same
  JSON document (a count that is the whole payload has no document to take a size from).

A tag or metric name that itself contains ``?size=`` cannot be bound; ``?size=`` on a chart
other than p, np, c, u is an invalid binding.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import Engine, select

from openspc.db.models import Characteristic
from openspc.stats.chart_types import is_attribute
from openspc_sparkplug.topics import (
    MQTT_SCHEME,
    NAMESPACE,
    SPARKPLUG_SCHEME,
    TopicError,
    parse_mqtt_tag,
    parse_sparkplug_tag,
)

log = logging.getLogger(__name__)


SIZE_PARAMETER = "?size="


class Binding(NamedTuple):
    characteristic_id: int
    subgroup_size: int  # attribute charts: the fixed sample size
    attribute: str | None = None  # p, np, c or u: each value is a count, one sample
    size: str | None = None  # attribute charts: the size's tag (Sparkplug) or JSON field


class ParsedBinding(NamedTuple):
    """A characteristic's tag as the provider reads it: the tag its values come from (the
    count's, for an attribute chart) and where its size comes from (None: fixed)."""

    tag: str
    size: str | None
    topic: str | None  # plain MQTT: the topic, and the JSON field of the value
    field: str | None


def parse_binding(tag: str, chart_type: str | None = None) -> ParsedBinding:
    """Parse a characteristic's tag (raises :class:`TopicError` with the reason)."""
    head, separator, size = tag.rpartition(SIZE_PARAMETER)
    if not separator:
        head, size = tag, ""
    elif chart_type is not None and not is_attribute(chart_type):
        raise TopicError(f"{SIZE_PARAMETER} binds the sample size of a p, np, c or u chart")
    elif not size:
        raise TopicError(f"{SIZE_PARAMETER} needs the size metric or JSON field")
    if head.startswith(SPARKPLUG_SCHEME):
        parse_sparkplug_tag(head)
        size_tag = None
        if size:
            size_tag = head[: head.rindex("/") + 1] + size  # next to the count metric
            parse_sparkplug_tag(size_tag)
        return ParsedBinding(head, size_tag, None, None)
    if head.startswith(MQTT_SCHEME):
        parsed = parse_mqtt_tag(head)
        if parsed.topic.split("/", 1)[0] == NAMESPACE:
            raise TopicError("a Sparkplug topic is bound with sparkplug://")
        if size and parsed.field is None:
            raise TopicError(
                f"a size field needs the count in a JSON field: mqtt://<topic>#<count>"
                f"{SIZE_PARAMETER}<size>"
            )
        return ParsedBinding(head, size or None, parsed.topic, parsed.field)
    raise TopicError("unknown scheme")


@dataclass(frozen=True)
class BindingMap:
    by_tag: dict[str, Binding] = field(default_factory=dict)
    # plain MQTT: topic -> the (JSON field or None, tag) pairs bound on it
    plain: dict[str, tuple[tuple[str | None, str], ...]] = field(default_factory=dict)
    invalid: dict[str, int] = field(default_factory=dict)  # tag -> characteristic id
    problems: dict[str, str] = field(default_factory=dict)  # invalid tag -> why
    size_tags: frozenset[str] = frozenset()  # Sparkplug tags whose values are sizes
    # plain MQTT: topic -> the JSON fields of sizes read from its documents
    plain_sizes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[int, str, int] | tuple[int, str, int, str]]
    ) -> BindingMap:
        """``(characteristic id, tag, subgroup size[, chart type])`` rows; tags that name no
        value stream OpenSPC can subscribe to are set aside in ``invalid``."""
        by_tag: dict[str, Binding] = {}
        plain: dict[str, list[tuple[str | None, str]]] = {}
        plain_sizes: dict[str, dict[str, None]] = {}
        size_tags: set[str] = set()
        invalid: dict[str, int] = {}
        problems: dict[str, str] = {}
        for row in rows:
            characteristic_id, tag, subgroup_size = row[:3]
            chart_type = row[3] if len(row) > 3 else None
            try:
                parsed = parse_binding(tag, chart_type)
                if parsed.tag in by_tag:
                    other = by_tag[parsed.tag].characteristic_id
                    raise TopicError(f"characteristic {other} is bound to {parsed.tag} already")
            except TopicError as exc:
                invalid[tag] = characteristic_id
                problems[tag] = str(exc)
                continue
            if parsed.topic is not None:
                plain.setdefault(parsed.topic, []).append((parsed.field, parsed.tag))
                if parsed.size is not None:
                    plain_sizes.setdefault(parsed.topic, {})[parsed.size] = None
            elif parsed.size is not None:
                size_tags.add(parsed.size)
            attribute = chart_type if chart_type is not None and is_attribute(chart_type) else None
            by_tag[parsed.tag] = Binding(characteristic_id, subgroup_size, attribute, parsed.size)
        return cls(
            by_tag,
            {topic: tuple(pairs) for topic, pairs in plain.items()},
            invalid,
            problems,
            frozenset(size_tags),
            {topic: tuple(fields) for topic, fields in plain_sizes.items()},
        )


def load_bindings(engine: Engine) -> BindingMap:
    """Every TAG characteristic's binding, with one query."""
    query = select(
        Characteristic.id,
        Characteristic.tag,
        Characteristic.subgroup_size,
        Characteristic.chart_type,
    ).where(Characteristic.source == "TAG", Characteristic.tag.is_not(None))
    with engine.connect() as conn:
        rows = [
            (int(r.id), str(r.tag), int(r.subgroup_size), str(r.chart_type))
            for r in conn.execute(query)
        ]
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
                    "plain mqtt:// topic it can take (%s); it gets no data",
                    characteristic_id,
                    tag,
                    loaded.problems.get(tag, "invalid"),
                )
        self.current = loaded
        return loaded
