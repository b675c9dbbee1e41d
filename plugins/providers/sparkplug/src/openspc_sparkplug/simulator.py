"""A Sparkplug B edge node publishing simulated process data (demo, tests, load).

Session behaviour (Sparkplug 3.0):

- MQTT will: NDEATH with this connection's ``bdSeq`` (QoS 1); ``bdSeq`` goes up by one per
  connect, ``seq`` restarts at 0 with every NBIRTH.
- NBIRTH (``bdSeq``, ``Node Control/Rebirth``, and the process metrics with name, alias
  and current value) and, with a device, DBIRTH; then NDATA/DDATA at ``rate`` messages per
  second, each carrying one sample of every metric by alias (QoS 0).
- NCMD ``Node Control/Rebirth`` = true: a new NBIRTH (+ DBIRTH) with the same ``bdSeq``.
- With a primary host: births wait for its STATE ``{"online": true}``. While it is offline
  (or the broker is unreachable) samples are stored; when the host goes offline the node
  publishes NDEATH, disconnects and reconnects. Once the host is back: NBIRTH with the latest
  sample as current values, then the stored samples as ``is_historical`` metrics with their
  original timestamps, several samples per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import aiomqtt

from openspc_sparkplug.codec import (
    NODE_REBIRTH,
    DataType,
    DecodeError,
    Metric,
    decode_payload,
    decode_state,
    encode_nbirth,
    encode_ndeath,
    encode_payload,
)
from openspc_sparkplug.process_data import ProcessGenerator, SpecialCause, default_processes
from openspc_sparkplug.topics import MessageType, StateTopic, Topic

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """``mqtt://[user[:password]@]host[:port]`` (1883), or ``mqtts://`` (TLS, 8883)."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"expected mqtt://host[:port] or mqtts://..., got {url!r}")
        tls = parts.scheme == "mqtts"
        return cls(
            hostname=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            username=None if parts.username is None else unquote(parts.username),
            password=None if parts.password is None else unquote(parts.password),
            tls=tls,
        )


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    group: str
    node: str
    device: str | None = None  # metrics live on this device (DBIRTH/DDATA) when set
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    metrics: int = 20
    rate: float = 100.0  # NDATA/DDATA messages per second
    primary_host: str | None = None
    special_causes: tuple[SpecialCause, ...] = ()
    seed: int | None = None
    client_id: str | None = None  # default: openspc-sim-<group>-<node>
    reconnect_delay: float = 1.0
    max_stored_samples: int = 100_000  # in memory; the oldest are dropped beyond (counted)
    max_values_per_message: int = 1000  # for stored (historical) data

    def __post_init__(self) -> None:
        Topic(self.group, MessageType.NBIRTH, self.node)  # validates the ids
        if self.device is not None:
            Topic(self.group, MessageType.DBIRTH, self.node, self.device)
        if self.primary_host is not None:
            StateTopic(self.primary_host)
        if self.metrics < 1 or self.rate <= 0 or self.max_values_per_message < 1:
            raise ValueError("metrics, rate and max_values_per_message must be positive")


@dataclass(slots=True)
class SimulatorStats:
    samples: int = 0
    messages: int = 0  # NDATA/DDATA with current values
    historical_samples: int = 0
    stored_dropped: int = 0
    births: int = 0
    sessions: int = 0


class _Sample(NamedTuple):
    timestamp: int  # ms since epoch
    values: list[float]
    live: bool  # taken while the session was live (else: store and forward as historical)


SampleCallback = Callable[[int, list[float]], None]


class EdgeNodeSimulator:
    """``await start()`` ... ``await stop()`` (graceful: NDEATH, then DISCONNECT)."""

    def __init__(
        self,
        config: SimulatorConfig,
        *,
        on_sample: SampleCallback | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.stats = SimulatorStats()
        self.broker = BrokerAddress.parse(config.mqtt_url)
        processes = default_processes(config.metrics)
        self.metric_names = [process.name for process in processes]
        self._generator = ProcessGenerator(processes, config.special_causes, seed=config.seed)
        self._on_sample = on_sample
        self._clock = clock
        device = config.device
        data_type = MessageType.DDATA if device else MessageType.NDATA
        self._data_topic = str(Topic(config.group, data_type, config.node, device))
        self._topics = {
            kind: str(Topic(config.group, kind, config.node))
            for kind in (MessageType.NBIRTH, MessageType.NDEATH, MessageType.NCMD)
        }
        self._state_topic = str(StateTopic(config.primary_host)) if config.primary_host else None
        self._outbox: deque[_Sample] = deque()  # taken, not yet published
        self._latest: _Sample | None = None
        self._wake = asyncio.Event()
        self._live = False  # born, and the primary host (if any) has not gone offline since
        self._host_online = False
        self._rebirth_requested = False
        self._stopping = False
        self.bd_seq = -1  # of the current (or last) connection
        self._seq = 0
        self._tasks: list[asyncio.Task[None]] = []

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._take_sample()
        self._tasks = [
            asyncio.create_task(self._sample_loop(), name="sparkplug-sim-sampler"),
            asyncio.create_task(self._connection_loop(), name="sparkplug-sim-session"),
        ]

    async def stop(self, timeout: float = 5.0) -> None:
        sampler, session = self._tasks
        sampler.cancel()
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(session, timeout)
        except TimeoutError:
            logger.warning("simulator did not end its session in %.1f s", timeout)
        with contextlib.suppress(asyncio.CancelledError):
            await sampler

    async def __aenter__(self) -> EdgeNodeSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- sampling ------------------------------------------------------------------------

    def _take_sample(self) -> None:
        # strictly increasing, even when catching up after a stall: a timestamp names a sample
        last = self._latest.timestamp if self._latest is not None else -1
        timestamp = max(int(self._clock() * 1000), last + 1)
        values = self._generator.next_sample()
        self.stats.samples += 1
        if self._on_sample is not None:
            self._on_sample(timestamp, values)
        self._latest = _Sample(timestamp, values, self._live)
        self._outbox.append(self._latest)
        if len(self._outbox) > self.config.max_stored_samples:
            self._outbox.popleft()
            self.stats.stored_dropped += 1
        self._wake.set()

    async def _sample_loop(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.config.rate
        due = loop.time()
        while True:
            due += period
            delay = due - loop.time()
            if delay < -1.0:  # far behind (suspended?): resume the pace, no burst
                due, delay = loop.time(), 0.0
            await asyncio.sleep(max(delay, 0.0))
            self._take_sample()

    # --- MQTT session --------------------------------------------------------------------

    async def _connection_loop(self) -> None:
        while not self._stopping:
            self.bd_seq = (self.bd_seq + 1) % 256
            try:
                async with self._client() as client:
                    self.stats.sessions += 1
                    await self._run_session(client)
            except aiomqtt.MqttError as exc:
                if self._stopping:
                    return
                logger.warning("MQTT session lost (%s); reconnecting", exc)
                await asyncio.sleep(self.config.reconnect_delay)
            finally:
                self._live = False

    def _client(self) -> aiomqtt.Client:
        broker = self.broker
        config = self.config
        return aiomqtt.Client(
            broker.hostname,
            broker.port,
            username=broker.username,
            password=broker.password,
            identifier=config.client_id or f"openspc-sim-{config.group}-{config.node}",
            clean_session=True,
            tls_context=ssl.create_default_context() if broker.tls else None,
            will=aiomqtt.Will(
                self._topics[MessageType.NDEATH], encode_ndeath(self.bd_seq), qos=1, retain=False
            ),
        )

    async def _run_session(self, client: aiomqtt.Client) -> None:
        self._host_online = self._state_topic is None
        await client.subscribe(self._topics[MessageType.NCMD], qos=0)
        if self._state_topic is not None:
            await client.subscribe(self._state_topic, qos=1)
        self._wake.set()  # birth now if nothing needs waiting for, not at the next sample
        tasks = {
            asyncio.create_task(self._publish_loop(client)),
            asyncio.create_task(self._listen(client)),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            task.result()  # re-raises MqttError: the connection loop reconnects

    async def _listen(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else b""
            if message.topic.value == self._state_topic:
                try:
                    online = decode_state(payload).online
                except DecodeError as exc:
                    logger.warning("ignoring malformed STATE: %s", exc)
                    continue
                self._host_online = online
                if not online:
                    self._live = False  # from now on samples are stored
            elif self._is_rebirth_request(payload):
                self._rebirth_requested = True
            self._wake.set()

    @staticmethod
    def _is_rebirth_request(payload: bytes) -> bool:
        try:
            metrics = decode_payload(payload).metrics
        except DecodeError:
            return False
        return any(m.name == NODE_REBIRTH and m.value == 1.0 for m in metrics)

    async def _publish_loop(self, client: aiomqtt.Client) -> None:
        born = False
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._stopping or (born and not self._live):
                # stop, or the primary host went offline: end the session cleanly
                await client.publish(
                    self._topics[MessageType.NDEATH], encode_ndeath(self.bd_seq), qos=1
                )
                return
            if not self._host_online:
                continue
            if not born or self._rebirth_requested:
                await self._publish_births(client, new_session=not born)
                born = True
            await self._publish_current(client)

    def _next_seq(self) -> int:
        seq = self._seq
        self._seq = (seq + 1) % 256
        return seq

    async def _publish_births(self, client: aiomqtt.Client, *, new_session: bool) -> None:
        """Births carry the newest sample; older unsent samples follow as history.

        In a new session every unsent sample is history; on a rebirth within a live session
        only those taken while not live are (none, normally).
        """
        self._rebirth_requested = False
        current = self._latest
        assert current is not None, "start() takes the first sample"
        pending = [sample for sample in self._outbox if sample is not current]
        stored = [sample for sample in pending if new_session or not sample.live]
        self._outbox = deque(sample for sample in pending if not new_session and sample.live)
        now = int(self._clock() * 1000)
        metrics = [
            Metric(
                name=name,
                alias=alias,
                datatype=DataType.Double,
                value=value,
                timestamp=current.timestamp,
            )
            for alias, (name, value) in enumerate(
                zip(self.metric_names, current.values, strict=True)
            )
        ]
        config = self.config
        self._seq = 0
        self._live = True  # before the first await: a STATE offline from now on must win
        nbirth = encode_nbirth(
            [] if config.device else metrics,
            bd_seq=self.bd_seq,
            timestamp=now,
            seq=self._next_seq(),
        )
        await client.publish(self._topics[MessageType.NBIRTH], nbirth)
        if config.device:
            dbirth = str(Topic(config.group, MessageType.DBIRTH, config.node, config.device))
            await client.publish(
                dbirth, encode_payload(metrics, timestamp=now, seq=self._next_seq())
            )
        self.stats.births += 1
        await self._publish_stored(client, stored, now)

    async def _publish_stored(
        self, client: aiomqtt.Client, stored: list[_Sample], now: int
    ) -> None:
        """Stored samples as history; if the host drops meanwhile, the rest stays stored."""
        per_message = max(1, self.config.max_values_per_message // len(self.metric_names))
        for start in range(0, len(stored), per_message):
            if not self._live:
                self._outbox.extendleft(reversed(stored[start:]))
                return
            chunk = stored[start : start + per_message]
            metrics = [
                Metric(
                    alias=alias,
                    datatype=DataType.Double,
                    value=value,
                    timestamp=sample.timestamp,
                    is_historical=True,
                )
                for sample in chunk
                for alias, value in enumerate(sample.values)
            ]
            payload = encode_payload(metrics, timestamp=now, seq=self._next_seq())
            await client.publish(self._data_topic, payload)
            self.stats.historical_samples += len(chunk)

    async def _publish_current(self, client: aiomqtt.Client) -> None:
        while self._outbox and self._live:
            sample = self._outbox.popleft()
            metrics = [
                Metric(alias=alias, datatype=DataType.Double, value=value)
                for alias, value in enumerate(sample.values)
            ]
            payload = encode_payload(metrics, timestamp=sample.timestamp, seq=self._next_seq())
            await client.publish(self._data_topic, payload)
            self.stats.messages += 1
