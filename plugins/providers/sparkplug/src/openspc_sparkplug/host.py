"""Sparkplug B host-application session logic, without I/O.

Feed every message to :meth:`SparkplugHost.receive` and call :meth:`SparkplugHost.tick` when
:meth:`SparkplugHost.next_deadline` has passed. Each call returns a :class:`HostStep`: the
resolved tag values, the rebirth requests to publish, and the drops it counted.

``now`` is wall-clock seconds (``time.time()``): it runs the reorder and rebirth timers and
is the timestamp of a value whose payload carries none.

Decisions the specification leaves to the host, taken here:

- A seq gap is held for ``reorder_timeout`` seconds (or until ``max_held`` messages wait).
  Filled in time, the held messages are processed in order. Not filled, they are processed
  anyway, in order (they are genuine measurements under the aliases already known; each
  missing message counts as ``SEQ_GAP``), and a rebirth is requested.
- Rebirth requests are rate-limited to one per node per ``rebirth_interval`` seconds.
- A death marks the node (or device) offline; its tags and last values stay listed
  (:meth:`SparkplugHost.tags`) as stale until the next birth.
- Values of ``bdSeq`` and ``Node Control/*``/``Device Control/*`` are session plumbing and are
  not output; a birth that repeats a tag's last value with the same timestamp (a rebirth) is
  dropped as ``DUPLICATE``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from openspc_sparkplug.codec import (
    BD_SEQ,
    DataType,
    DecodedMetric,
    DecodedPayload,
    DecodeError,
    decode_payload,
    encode_rebirth_request,
)
from openspc_sparkplug.drops import DropReason
from openspc_sparkplug.topics import (
    MessageType,
    StateTopic,
    Topic,
    TopicError,
    parse_topic,
    sparkplug_tag_uri,
)

_PLUMBING_PREFIXES = ("Node Control/", "Device Control/")
_TOPIC_CACHE_SIZE = 4096


class TagValue(NamedTuple):
    tag: str
    timestamp: int  # ms since epoch
    value: float
    is_historical: bool


@dataclass(frozen=True, slots=True)
class RebirthRequest:
    """NCMD ``Node Control/Rebirth`` to publish (QoS 0, not retained)."""

    group: str
    node: str
    timestamp: int  # ms since epoch

    @property
    def topic(self) -> str:
        return str(Topic(self.group, MessageType.NCMD, self.node))

    @property
    def payload(self) -> bytes:
        return encode_rebirth_request(timestamp=self.timestamp)


@dataclass(slots=True)
class HostStep:
    values: list[TagValue] = field(default_factory=list)
    rebirths: list[RebirthRequest] = field(default_factory=list)
    drops: Counter[DropReason] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class TagInfo:
    uri: str
    datatype: int
    online: bool
    timestamp: int | None  # of the last current (non-historical) value
    value: float | None


def is_good_quality(quality: int | None) -> bool:
    """No Quality property, or the OPC "good" family 192..255 (0 is bad, 500 stale)."""
    return quality is None or 192 <= quality <= 255


@dataclass(slots=True)
class _MetricDef:
    tag: str | None  # None: not output (plumbing silently, shadowed with ``skip``)
    datatype: int
    skip: DropReason | None = None
    last_timestamp: int | None = None
    last_value: float | None = None


@dataclass(slots=True)
class _Source:
    """A node's own metrics, or one device's: what its last birth declared."""

    online: bool
    by_alias: dict[int, _MetricDef] = field(default_factory=dict)
    by_name: dict[str, _MetricDef] = field(default_factory=dict)

    def find(self, name: str | None, alias: int | None) -> _MetricDef | None:
        if alias is not None:
            return self.by_alias.get(alias)
        return None if name is None else self.by_name.get(name)

    def datatype_of(self, name: str | None, alias: int | None) -> int:
        definition = self.find(name, alias)
        return DataType.Unknown if definition is None else definition.datatype


@dataclass(slots=True)
class _Node:
    group: str
    node: str
    born: bool = False  # an NBIRTH opened the session and no NDEATH closed it
    bd_seq: int | None = None
    expected_seq: int = 0
    sources: dict[str | None, _Source] = field(default_factory=dict)  # None: node level
    held: dict[int, tuple[Topic, bytes]] = field(default_factory=dict)  # seq -> message
    gap_since: float | None = None
    last_rebirth_request: float | None = None


class SparkplugHost:
    def __init__(
        self,
        *,
        reorder_timeout: float = 2.0,
        rebirth_interval: float = 5.0,
        max_held: int = 100,
    ) -> None:
        if not 0 < max_held < 128:
            raise ValueError("max_held must be in 1..127 (half the seq space)")
        self.reorder_timeout = reorder_timeout
        self.rebirth_interval = rebirth_interval
        self.max_held = max_held
        self.drops: Counter[DropReason] = Counter()  # since start, for metrics
        self._nodes: dict[tuple[str, str], _Node] = {}
        self._topics: dict[str, Topic | StateTopic] = {}

    # --- input ---------------------------------------------------------------------------

    def receive(self, topic: str, payload: bytes, now: float) -> HostStep:
        step = HostStep()
        parsed = self._parse_topic(topic)
        if parsed is None:
            step.drops[DropReason.MALFORMED] += 1
        elif isinstance(parsed, Topic):
            self._dispatch(parsed, payload, now, step)
        self.drops.update(step.drops)
        return step

    def tick(self, now: float) -> HostStep:
        """Give up the gaps whose reorder timeout has passed."""
        step = HostStep()
        for node in self._nodes.values():
            if node.gap_since is not None and now - node.gap_since >= self.reorder_timeout:
                self._give_up_gap(node, now, step)
        self.drops.update(step.drops)
        return step

    def next_deadline(self) -> float | None:
        """When :meth:`tick` has work, or None while no gap is held."""
        since = [n.gap_since for n in self._nodes.values() if n.gap_since is not None]
        return min(since) + self.reorder_timeout if since else None

    # --- queries -------------------------------------------------------------------------

    def is_online(self, group: str, node: str, device: str | None = None) -> bool:
        state = self._nodes.get((group, node))
        if state is None or not state.born:
            return False
        source = state.sources.get(device)
        return source is not None and source.online

    def tags(self) -> list[TagInfo]:
        """Every tag of the last births, with its last value; offline ones are stale."""
        return [
            TagInfo(
                definition.tag,
                definition.datatype,
                node.born and source.online,
                definition.last_timestamp,
                definition.last_value,
            )
            for node in self._nodes.values()
            for source in node.sources.values()
            for definition in source.by_name.values()
            if definition.tag is not None
        ]

    # --- message handling ----------------------------------------------------------------

    def _parse_topic(self, topic: str) -> Topic | StateTopic | None:
        parsed = self._topics.get(topic)
        if parsed is None:
            try:
                parsed = parse_topic(topic)
            except TopicError:
                return None
            if len(self._topics) >= _TOPIC_CACHE_SIZE:
                self._topics.clear()
            self._topics[topic] = parsed
        return parsed

    def _dispatch(self, topic: Topic, payload: bytes, now: float, step: HostStep) -> None:
        key = (topic.group, topic.node)
        node = self._nodes.get(key)
        if node is None:
            node = self._nodes[key] = _Node(topic.group, topic.node)
        message_type = topic.message_type
        if message_type is MessageType.NCMD or message_type is MessageType.DCMD:
            return  # commands are for edge nodes
        if message_type is MessageType.NBIRTH:
            self._on_nbirth(node, payload, now, step)
        elif message_type is MessageType.NDEATH:
            self._on_ndeath(node, payload, now, step)
        elif not node.born:
            step.drops[DropReason.BEFORE_BIRTH] += 1
            self._request_rebirth(node, now, step)
        else:
            self._on_sequenced(node, topic, payload, now, step)

    def _decode(self, node: _Node, topic: Topic, payload: bytes) -> DecodedPayload:
        source = node.sources.get(topic.device)
        return decode_payload(payload, None if source is None else source.datatype_of)

    def _on_nbirth(self, node: _Node, payload: bytes, now: float, step: HostStep) -> None:
        try:
            decoded = decode_payload(payload)
        except DecodeError:
            step.drops[DropReason.MALFORMED] += 1
            self._request_rebirth(node, now, step)
            return
        if node.held:  # messages of the session this birth replaces
            step.drops[DropReason.OUT_OF_ORDER] += len(node.held)
            node.held.clear()
            node.gap_since = None
        node.born = True
        node.bd_seq = _bd_seq(decoded)
        node.expected_seq = ((decoded.seq or 0) + 1) % 256
        previous = node.sources
        node.sources = {None: self._born_source(node, None, decoded, now, step, previous.get(None))}
        for device, source in previous.items():
            if device is not None:  # devices stay listed, offline until their DBIRTH
                source.online = False
                node.sources[device] = source

    def _on_ndeath(self, node: _Node, payload: bytes, now: float, step: HostStep) -> None:
        try:
            bd_seq = _bd_seq(decode_payload(payload))
        except DecodeError:
            step.drops[DropReason.MALFORMED] += 1
            return
        if not node.born:
            return
        if bd_seq is not None and node.bd_seq is not None and bd_seq != node.bd_seq:
            step.drops[DropReason.STALE_DEATH] += 1
            return
        self._release_all_held(node, now, step)
        node.born = False
        for source in node.sources.values():
            source.online = False

    def _on_sequenced(
        self, node: _Node, topic: Topic, payload: bytes, now: float, step: HostStep
    ) -> None:
        """DBIRTH, NDATA, DDATA, DDEATH: in seq order, holding messages across a gap."""
        try:
            decoded = self._decode(node, topic, payload)
        except DecodeError:
            step.drops[DropReason.MALFORMED] += 1
            return
        seq = decoded.seq
        if seq is None:
            step.drops[DropReason.MALFORMED] += 1
            return
        ahead = (seq - node.expected_seq) % 256
        if ahead == 0:
            self._process(node, topic, decoded, now, step)
            node.expected_seq = (seq + 1) % 256
            self._release_consecutive(node, now, step)
        elif ahead < 128 and seq not in node.held:
            node.held[seq] = (topic, payload)
            if node.gap_since is None:
                node.gap_since = now
            if len(node.held) > self.max_held or now - node.gap_since >= self.reorder_timeout:
                self._give_up_gap(node, now, step)
        else:
            step.drops[DropReason.OUT_OF_ORDER] += 1

    def _release_consecutive(self, node: _Node, now: float, step: HostStep) -> None:
        while node.expected_seq in node.held:
            self._process_held(node, node.expected_seq, now, step)
        node.gap_since = now if node.held else None  # a later gap starts its own wait

    def _release_all_held(self, node: _Node, now: float, step: HostStep) -> None:
        for seq in sorted(node.held, key=lambda held: (held - node.expected_seq) % 256):
            step.drops[DropReason.SEQ_GAP] += (seq - node.expected_seq) % 256
            self._process_held(node, seq, now, step)
        node.gap_since = None

    def _process_held(self, node: _Node, seq: int, now: float, step: HostStep) -> None:
        topic, payload = node.held.pop(seq)
        self._process(node, topic, self._decode(node, topic, payload), now, step)
        node.expected_seq = (seq + 1) % 256

    def _give_up_gap(self, node: _Node, now: float, step: HostStep) -> None:
        self._release_all_held(node, now, step)
        self._request_rebirth(node, now, step)

    def _process(
        self, node: _Node, topic: Topic, decoded: DecodedPayload, now: float, step: HostStep
    ) -> None:
        message_type = topic.message_type
        source = node.sources.get(topic.device)
        if message_type is MessageType.DBIRTH:
            node.sources[topic.device] = self._born_source(
                node, topic.device, decoded, now, step, source
            )
        elif message_type is MessageType.DDEATH:
            if source is not None:
                source.online = False
        elif source is None or not source.online:
            step.drops[DropReason.BEFORE_BIRTH] += 1
            self._request_rebirth(node, now, step)
        elif not self._ingest(source, decoded.metrics, now, step, birth=False):
            self._request_rebirth(node, now, step)

    def _born_source(
        self,
        node: _Node,
        device: str | None,
        decoded: DecodedPayload,
        now: float,
        step: HostStep,
        previous: _Source | None,
    ) -> _Source:
        """The alias map of a birth (replacing the previous one), and its current values."""
        source = _Source(online=True)
        node_source = node.sources.get(None) if device is not None else None
        for metric in decoded.metrics:
            name = metric.name
            if name is None:
                step.drops[DropReason.MALFORMED] += 1
                continue
            definition = _MetricDef(None, metric.datatype)
            if node_source is not None and f"{device}/{name}" in node_source.by_name:
                definition.skip = DropReason.SHADOWED_TAG
            elif name != BD_SEQ and not name.startswith(_PLUMBING_PREFIXES):
                definition.tag = sparkplug_tag_uri(node.group, node.node, device, name)
                earlier = previous.by_name.get(name) if previous is not None else None
                if earlier is not None:
                    definition.last_timestamp = earlier.last_timestamp
                    definition.last_value = earlier.last_value
            source.by_name[name] = definition
            if metric.alias is not None:
                source.by_alias[metric.alias] = definition
        self._ingest(source, decoded.metrics, now, step, birth=True)
        return source

    def _ingest(
        self,
        source: _Source,
        metrics: list[DecodedMetric],
        now: float,
        step: HostStep,
        *,
        birth: bool,
    ) -> bool:
        """Output the usable values; False when a metric was unknown (rebirth needed)."""
        all_known = True
        drops = step.drops
        values = step.values
        default_timestamp = int(now * 1000)
        for metric in metrics:
            definition = source.find(metric.name, metric.alias)
            if definition is None:
                if metric.name is None and metric.alias is None:
                    drops[DropReason.MALFORMED] += 1
                else:
                    drops[DropReason.UNKNOWN_ALIAS] += 1
                    all_known = False
                continue
            tag = definition.tag
            if tag is None:
                if definition.skip is not None:
                    drops[definition.skip] += 1
                continue
            value = metric.value
            if value is None:
                drops[metric.reason or DropReason.NO_VALUE] += 1
                continue
            if not is_good_quality(metric.quality):
                drops[DropReason.BAD_QUALITY] += 1
                continue
            timestamp = default_timestamp if metric.timestamp is None else metric.timestamp
            if metric.is_historical:
                values.append(TagValue(tag, timestamp, value, True))
                continue
            if birth and timestamp == definition.last_timestamp and value == definition.last_value:
                drops[DropReason.DUPLICATE] += 1
                continue
            definition.last_timestamp = timestamp
            definition.last_value = value
            values.append(TagValue(tag, timestamp, value, False))
        return all_known

    def _request_rebirth(self, node: _Node, now: float, step: HostStep) -> None:
        last = node.last_rebirth_request
        if last is not None and now - last < self.rebirth_interval:
            return
        node.last_rebirth_request = now
        step.rebirths.append(RebirthRequest(node.group, node.node, int(now * 1000)))


def _bd_seq(decoded: DecodedPayload) -> int | None:
    for metric in decoded.metrics:
        if metric.name == BD_SEQ and metric.value is not None:
            return int(metric.value)
    return None
