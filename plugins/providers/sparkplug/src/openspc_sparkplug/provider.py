"""The MQTT tag provider: Sparkplug B host application and plain MQTT subscriber.

Message flow: the connection's network thread buffers messages; the *receiver* task takes
them in bursts, runs Sparkplug messages through the host session logic
(:class:`~openspc_sparkplug.host.SparkplugHost`) and plain ones through
:func:`~openspc_sparkplug.plain.parse_plain`, resolves tags to characteristics, assembles
subgroups and queues sample events; the *submitter* task hands everything queued to
``sink.submit`` as one submission while the next burst is being received, and after the
commit acknowledges the QoS 1 messages whose values are all settled (committed, recognized
as duplicates, or dropped). Values held in a partial subgroup keep their message
unacknowledged until the subgroup is committed or discarded. A submission that fails is
retried with backoff; nothing of it is acknowledged before it commits.

Shutdown: STATE offline, ``shutdown_grace`` seconds for the edge nodes' last messages (until
every node has sent its NDEATH), stop taking messages, commit what was taken, disconnect.
Partial subgroups are discarded unacknowledged, so the broker redelivers their QoS 1 messages
to the next session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from openspc import metrics
from openspc.config import Settings
from openspc.contracts import SampleContext, SampleEvent
from openspc_sparkplug.attributes import SizeValues
from openspc_sparkplug.bindings import Binding, BindingSource
from openspc_sparkplug.config import SparkplugConfig
from openspc_sparkplug.connection import CONNECTION, Message, MqttConnection
from openspc_sparkplug.drops import DropReason
from openspc_sparkplug.host import SparkplugHost
from openspc_sparkplug.plain import MAX_TIMESTAMP_MS, parse_plain
from openspc_sparkplug.subgroups import SubgroupAssembler
from openspc_sparkplug.topics import MQTT_SCHEME, NAMESPACE

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TAG_CONTEXT = SampleContext(source="TAG")
_SPARKPLUG_PREFIX = NAMESPACE + "/"
_YIELD_EVERY = 500  # messages handled between two yields to the event loop
_MAX_LOGGED = 10_000  # (source, reason) pairs remembered for log-once
#: the drop reason of an attribute sample the pipeline refused, by the field at fault
_REJECTED_FIELD = {"count": DropReason.BAD_COUNT, "size": DropReason.BAD_SIZE}


@dataclass(slots=True)
class Ticket:
    """The acknowledgement of one QoS 1 message: sent when its last hold is released."""

    mid: int
    generation: int
    holds: int = 1  # one for the handling of the message, one per value still unsettled


class SparkplugProvider:
    name = "sparkplug"
    Config = SparkplugConfig

    @classmethod
    def configure(cls, settings: Settings) -> SparkplugConfig | None:
        return SparkplugConfig.from_settings(settings)

    def __init__(self, *, config: SparkplugConfig, sink: Any, app: Any) -> None:
        self.config = config
        self.sink = sink
        self.bindings = BindingSource(
            app.state.kernel.engine,
            interval=config.bindings_refresh,
            unknown_interval=config.unknown_tag_refresh,
        )
        self.host = SparkplugHost(
            reorder_timeout=config.reorder_timeout, rebirth_interval=config.rebirth_interval
        )
        self.subgroups: SubgroupAssembler[Ticket] = SubgroupAssembler(config.subgroup_time_limit)
        self.sizes = SizeValues()  # of the size metrics of attribute charts
        self.connection: MqttConnection | None = None
        self.messages = 0
        self.samples = 0
        self.dropped: Counter[str] = Counter()
        self.last_error: str | None = None
        self._logged: set[tuple[str, str]] = set()
        self._events: list[SampleEvent] = []
        self._holds: list[list[Ticket]] = []
        self._last_arrival: dict[str, int] = {}  # plain topic -> last arrival timestamp (ms)
        self._reload_wanted = False
        self._stopping = False
        self._closing = False
        self._wake = asyncio.Event()
        self._work = asyncio.Event()
        self._room = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the bindings first: STATE goes online only once the provider can ingest."""
        loop = asyncio.get_running_loop()

        def wake() -> None:  # from the network thread
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(self._wake.set)

        await self._reload(time.monotonic())
        self.connection = MqttConnection(self.config, wake)
        self.connection.set_plain_topics(set(self.bindings.current.plain))
        self.connection.start()
        self._tasks = [
            asyncio.create_task(self._receive_loop(), name="sparkplug-receive"),
            asyncio.create_task(self._submit_loop(), name="sparkplug-submit"),
        ]
        log.info(
            "MQTT provider started (host id %s, broker %s)", self.config.host_id, self.config.broker
        )

    async def stop(self) -> None:
        connection = self.connection
        if connection is None:
            return
        receiver, submitter = self._tasks
        await connection.go_offline()
        deadline = time.monotonic() + self.config.shutdown_grace
        while time.monotonic() < deadline and any(t.online for t in self.host.tags()):
            await asyncio.sleep(0.05)
        connection.pause()
        self._stopping = True
        self._wake.set()
        self._room.set()
        await receiver
        self.subgroups.clear()  # unacknowledged: redelivered to the next session
        for discarded in self._take_discarded():
            self._drop(DropReason.PARTIAL_SUBGROUP, discarded.values, discarded.tag)
        self._closing = True
        self._work.set()
        await submitter
        await connection.close()
        log.info("MQTT provider stopped")

    def health(self) -> dict[str, Any]:
        connection = self.connection
        connected = connection is not None and connection.connected
        online = connection is not None and connection.online
        return {
            "ok": connected and online and self.last_error is None,
            "broker": self.config.broker,
            "client_id": self.config.session_id,
            "host_id": self.config.host_id,
            "connected": connected,
            "state": "online" if online else "offline",
            "connects": 0 if connection is None else connection.connects,
            "messages": self.messages,
            "samples": self.samples,
            "dropped": dict(sorted(self.dropped.items())),
            "pending": len(self._events),
            "partial_subgroups": len(self.subgroups),
            "bindings": len(self.bindings.current.by_tag),
            "last_error": self.last_error or (connection.last_error if connection else None),
        }

    # --- receiving ---------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        assert self.connection is not None
        while True:
            timeout = self._next_deadline() - time.time()
            if not self._wake.is_set() and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()
            burst = self.connection.take()
            if burst:
                await self._handle(burst)
            await self._on_timers()
            if self._stopping and not burst:
                return
            while len(self._events) >= self.config.max_pending and not self._stopping:
                self._room.clear()
                await self._room.wait()

    def _next_deadline(self) -> float:
        """The next time (``time.time()``) a timer has work, at most a second away."""
        deadlines = [time.time() + 1.0]
        for deadline in (self.host.next_deadline(), self.subgroups.next_deadline()):
            if deadline is not None:
                deadlines.append(deadline)
        return min(deadlines)

    async def _on_timers(self) -> None:
        now = time.time()
        step = self.host.tick(now)
        if step.values or step.rebirths or step.drops:
            self._sparkplug_step(step, None, "sparkplug reorder timeout", now)
        self.subgroups.expire(now)
        self._settle_discarded()
        monotonic = time.monotonic()
        if monotonic >= self.bindings.next_due() or (
            self._reload_wanted and self.bindings.may_reload_for_unknown(monotonic)
        ):
            await self._reload(monotonic)

    async def _reload(self, now: float) -> None:
        self._reload_wanted = False
        current = await self.bindings.reload(now)
        self.subgroups.retain(current.by_tag)
        self._settle_discarded()
        if self.connection is not None:
            self.connection.set_plain_topics(set(current.plain))

    async def _handle(self, burst: list[Message]) -> None:
        self.messages += len(burst)
        metrics.mqtt_messages.labels(CONNECTION).inc(len(burst))
        max_bytes = self.config.max_payload_bytes
        for index, message in enumerate(burst):
            ticket = Ticket(message.mid, message.generation) if message.qos else None
            now = time.time()
            try:
                if len(message.payload) > max_bytes:
                    self._drop(DropReason.OVERSIZED, 1, _source(message.topic))
                elif message.topic.startswith(_SPARKPLUG_PREFIX):
                    step = self.host.receive(message.topic, message.payload, now)
                    self._sparkplug_step(step, ticket, message.topic, now)
                else:
                    self._plain(message, ticket, now)
            except Exception:  # a bug must not stop the stream: count, log, go on
                log.exception("could not handle a message on %s", message.topic)
                self._drop(DropReason.MALFORMED, 1, _source(message.topic))
            self._release(ticket)
            if index % _YIELD_EVERY == _YIELD_EVERY - 1:
                await asyncio.sleep(0)
        self._settle_discarded()
        if self._events:
            self._work.set()

    def _sparkplug_step(self, step: Any, ticket: Ticket | None, topic: str, now: float) -> None:
        assert self.connection is not None
        for request in step.rebirths:
            self.connection.publish(request.topic, request.payload)
            log.info("requested a rebirth of %s/%s", request.group, request.node)
        for reason, count in step.drops.items():
            self._drop(reason, count, _source(topic))
        by_tag = self.bindings.current.by_tag
        size_tags = self.bindings.current.size_tags
        if size_tags:
            self.sizes.take(step.values, size_tags)
        unknown = 0
        for tag, timestamp, value, historical in step.values:
            binding = by_tag.get(tag)
            if binding is None:
                if tag not in size_tags:
                    unknown += 1
            elif binding.attribute is not None:
                size = None
                if binding.size is not None:
                    size = self.sizes.size(binding.size, timestamp, historical)
                self._count(tag, binding, value, size, timestamp, ticket)
            else:
                self._value(tag, binding, value, timestamp, historical, ticket, now)
        if unknown:
            self._unknown(unknown, _source(topic))

    def _plain(self, message: Message, ticket: Ticket | None, now: float) -> None:
        topic = message.topic
        bound = self.bindings.current.plain.get(topic)
        if bound is None:
            self._unknown(1, MQTT_SCHEME + topic)
            return
        size_fields = self.bindings.current.plain_sizes.get(topic)
        fields = [field for field, _ in bound]
        if size_fields is not None:  # attribute charts' sizes, from the same document
            fields += size_fields
        parsed = parse_plain(message.payload, fields)
        timestamp = parsed.timestamp
        if timestamp is None:  # no timestamp in the payload: the arrival time, made unique
            timestamp = max(int(now * 1000), self._last_arrival.get(topic, 0) + 1)
            self._last_arrival[topic] = timestamp
        values = parsed.values
        sizes: dict[str, float | None] = {}
        if size_fields is not None:
            values = values[: len(bound)]
            sizes = {
                f: v.value for f, v in zip(size_fields, parsed.values[len(bound) :], strict=True)
            }
        by_tag = self.bindings.current.by_tag
        for (_, tag), (value, reason) in zip(bound, values, strict=True):
            binding = by_tag[tag]
            if value is None:
                self._drop(reason or DropReason.NO_VALUE, 1, tag)
            elif binding.attribute is not None:
                size = None if binding.size is None else sizes[binding.size]
                self._count(tag, binding, value, size, timestamp, ticket)
            else:
                self._value(tag, binding, value, timestamp, False, ticket, now)

    def _unknown(self, count: int, source: str) -> None:
        self._drop(DropReason.UNKNOWN_TAG, count, source)
        self._reload_wanted = True
        self._wake.set()

    def _value(
        self,
        tag: str,
        binding: Binding,
        value: float,
        timestamp: int,
        historical: bool,
        ticket: Ticket | None,
        now: float,
    ) -> None:
        if not 0 <= timestamp <= MAX_TIMESTAMP_MS:
            self._drop(DropReason.MALFORMED, 1, tag)
            return
        if ticket is not None:
            ticket.holds += 1
        if binding.subgroup_size == 1:
            self._queue(binding.characteristic_id, timestamp, [value], [ticket] if ticket else [])
            return
        subgroup = self.subgroups.add(
            tag, binding, value, timestamp, historical=historical, hold=ticket, now=now
        )
        if subgroup is not None:
            self._queue(
                subgroup.characteristic_id, subgroup.timestamp, subgroup.values, subgroup.holds
            )

    def _count(
        self,
        tag: str,
        binding: Binding,
        count: float,
        size: float | None,
        timestamp: int,
        ticket: Ticket | None,
    ) -> None:
        """An attribute chart's count: one sample, in ``size`` (None: the fixed size, or,
        when the binding names a size, none came)."""
        if binding.size is not None and size is None:
            self._drop(DropReason.BAD_SIZE, 1, tag)
            return
        if not 0 <= timestamp <= MAX_TIMESTAMP_MS:
            self._drop(DropReason.MALFORMED, 1, tag)
            return
        if ticket is not None:
            ticket.holds += 1
        self._events.append(
            SampleEvent(
                characteristic_id=binding.characteristic_id,
                timestamp=_EPOCH + timedelta(milliseconds=timestamp),
                count=count,
                size=size,
                context=_TAG_CONTEXT,
            )
        )
        self._holds.append([ticket] if ticket is not None else [])

    def _queue(
        self, characteristic_id: int, timestamp: int, values: list[float], holds: list[Ticket]
    ) -> None:
        self._events.append(
            SampleEvent(  # validating is faster than model_construct in pydantic 2
                characteristic_id=characteristic_id,
                timestamp=_EPOCH + timedelta(milliseconds=timestamp),
                measurements=values,
                context=_TAG_CONTEXT,
            )
        )
        self._holds.append(holds)

    def _settle_discarded(self) -> None:
        """Count the partial subgroups discarded (time limit, rebinding) and acknowledge them."""
        for discarded in self._take_discarded():
            self._drop(DropReason.PARTIAL_SUBGROUP, discarded.values, discarded.tag)
            for ticket in discarded.holds:
                self._release(ticket)

    def _take_discarded(self) -> list[Any]:
        discarded, self.subgroups.discarded = self.subgroups.discarded, []
        return discarded

    # --- submitting --------------------------------------------------------------------------

    async def _submit_loop(self) -> None:
        while True:
            await self._work.wait()
            self._work.clear()
            if not self._events:
                if self._closing:
                    return
                continue
            size = self.config.max_batch
            events, self._events = self._events[:size], self._events[size:]
            holds, self._holds = self._holds[:size], self._holds[size:]
            self._room.set()
            outcomes = await self._submit(events)
            if outcomes is not None:
                self._settle(outcomes, holds)
            if self._events or self._closing:
                self._work.set()

    async def _submit(self, events: list[SampleEvent]) -> list[Any] | None:
        """The outcomes once committed; retried with backoff (a few times when closing)."""
        delay = 0.25
        for attempt in range(1, 1_000_000):
            try:
                outcomes: list[Any] = await self.sink.submit(events)
            except Exception as exc:  # the pipeline raises when the batch was not committed
                self.last_error = f"submission failed: {exc}"
                if attempt == 1:
                    log.error("committing %d tag samples failed (%s); retrying", len(events), exc)
                if self._closing and attempt >= 3:
                    log.error("giving up %d uncommitted tag samples at shutdown", len(events))
                    return None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            if self.last_error is not None:
                log.info("committing tag samples works again")
                self.last_error = None
            return outcomes
        return None

    def _settle(self, outcomes: list[Any], holds: list[list[Ticket]]) -> None:
        samples = 0
        for event_holds, outcome in zip(holds, outcomes, strict=True):
            if outcome.sample is not None:
                samples += 1
            elif outcome.duplicate:
                self._drop(DropReason.DUPLICATE, 1, "the pipeline")
            else:
                error = outcome.error
                if error is None:
                    self._drop(DropReason.REJECTED, 1, "the pipeline")
                else:
                    reason = _REJECTED_FIELD.get(error.field, DropReason.REJECTED)
                    self._drop(reason, 1, f"the pipeline ({error.reason})")
            for ticket in event_holds:
                self._release(ticket)
        self.samples += samples

    def _release(self, ticket: Ticket | None) -> None:
        if ticket is None:
            return
        ticket.holds -= 1
        if ticket.holds == 0 and self.connection is not None:
            self.connection.ack(ticket.mid, ticket.generation)

    # --- drops -------------------------------------------------------------------------------

    def _drop(self, reason: DropReason, count: int, source: str) -> None:
        self.dropped[reason] += count
        metrics.mqtt_dropped.labels(reason.value).inc(count)
        key = (source, reason.value)
        if key in self._logged:
            return
        if len(self._logged) >= _MAX_LOGGED:
            self._logged.clear()
        self._logged.add(key)
        log.warning(
            "dropped %d value(s) from %s: %s (logged once per source and reason)",
            count,
            source,
            reason.value,
            extra={"source": source, "reason": reason.value},
        )


def _source(topic: str) -> str:
    """``group/node[/device]`` of a Sparkplug topic (the topic itself when it is not one)."""
    parts = topic.split("/")
    if len(parts) in (4, 5) and parts[0] == NAMESPACE:
        return "/".join([parts[1], parts[3], *parts[4:]])
    return topic
