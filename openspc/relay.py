"""Scale-out: the relay between the OpenSPC processes that share one database.

Each process publishes what it changed on ``<relay_topic>/<process_id>`` (MQTT 5, QoS 1, in
order) and subscribes to ``<relay_topic>/+`` without its own messages (*no local*):

- **events**: the ``BatchEvents`` of every committed batch and of every API change (limits
  versions, acknowledgments). A receiving process hands them to its notifiers that serve
  clients connected to it (``serves_local_clients = True``: the WebSocket hub) and to nothing
  else; webhooks, MQTT publishing and the event hooks ran once, in the process that committed.
- **invalidations**: the characteristics whose cached configuration, limits or window the
  sender invalidated (:meth:`Pipeline.invalidate`: rules, limits, exclusions). The receiver
  also invalidates the characteristic of every relayed sample and limits version, so its next
  batch for that characteristic reloads the window (and the baseline count) from the database.

What may have been missed is never trusted: a process drops its whole cache when it
(re)subscribes, when a peer (re)connects (``hello``), when a peer dies (``gone``: its MQTT
will, published by the broker when the process crashed or lost the broker), and when a peer's
sequence numbers show a gap. While its own relay connection is down, a process drops its
cache after each of its batches, so it judges against the database alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import ssl
import threading
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import fields
from typing import Any
from urllib.parse import unquote, urlsplit

import aiomqtt
import orjson
from paho.mqtt.subscribeoptions import SubscribeOptions

from openspc import metrics
from openspc.config import Settings
from openspc.engine.pipeline import BatchEvents, Pipeline

log = logging.getLogger(__name__)

VERSION = 1
EVENT_FIELDS = tuple(f.name for f in fields(BatchEvents))  # samples, violations, limits, acks
MAX_BATCHES_PER_MESSAGE = 64
RECONNECT_MIN_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 10.0
KEEPALIVE_SECONDS = 15
CONNECTION = "relay"  # the ``connection`` label of the MQTT metrics


def default_process_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}".replace("/", "-").replace("+", "-")


class EventRelay:
    """Started by the kernel when ``relay_topic`` is set; ``forward`` and ``invalidated`` never
    block (the pipeline never waits on the broker)."""

    name = "relay"

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        deliver: Callable[[BatchEvents], Awaitable[None]],
    ) -> None:
        assert settings.relay_topic is not None
        if not settings.mqtt_url:
            raise ValueError("OPENSPC_RELAY_TOPIC needs a broker: set OPENSPC_MQTT_URL")
        parts = urlsplit(settings.mqtt_url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"expected mqtt://host[:port] or mqtts://..., got {settings.mqtt_url}")
        self.settings = settings
        self.pipeline = pipeline
        self.deliver = deliver
        self.process_id = settings.process_id or default_process_id()
        self.session = secrets.token_hex(6)  # tells this run of the process from earlier ones
        self.topic = f"{settings.relay_topic}/{self.process_id}"
        self.filter = f"{settings.relay_topic}/+"
        self.hostname = parts.hostname
        self.tls = parts.scheme == "mqtts"
        self.port = parts.port or (8883 if self.tls else 1883)
        self.username = settings.mqtt_username or (parts.username and unquote(parts.username))
        self.password = settings.mqtt_password or (parts.password and unquote(parts.password))
        self.connected = False
        self.counts: Counter[str] = Counter()
        self.last_error: str | None = None
        self.peers: dict[str, tuple[str, int]] = {}  # process id -> (session, last seq)
        self._batches: deque[BatchEvents] = deque()
        self._invalid: set[int] = set()
        self._invalid_lock = threading.Lock()
        self._seq = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- kernel interface -----------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.pipeline.invalidation_listeners.append(self.invalidated)
        self._task = asyncio.create_task(self._run(), name="openspc-relay")
        log.info("event relay on %s as %s", self.filter, self.process_id)

    async def stop(self, timeout: float = 5.0) -> None:
        """Publish what is waiting, say goodbye and disconnect (give up after ``timeout``)."""
        if self._task is None:
            return
        self._stop.set()
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            log.warning("the event relay did not end its session in %.1f s", timeout)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(ValueError):
            self.pipeline.invalidation_listeners.remove(self.invalidated)

    def forward(self, events: BatchEvents) -> None:
        """Relay a batch committed by this process (from the event loop)."""
        if self._task is None:  # not started (e.g. a command-line import's kernel)
            return
        if not self.connected:
            # other processes' changes cannot reach this one: trust nothing cached
            self.pipeline.invalidate_all()
        if len(self._batches) >= self.settings.relay_queue_size:
            dropped = self._batches.popleft()
            with self._invalid_lock:
                self._invalid.update(_characteristics(dropped))
            self.counts["dropped_batches"] += 1
            if self.counts["dropped_batches"] == 1 or self.counts["dropped_batches"] % 1000 == 0:
                log.error(
                    "the event relay is %d batches behind: dropping the oldest events "
                    "(their cache invalidations are kept)",
                    len(self._batches),
                )
        self._batches.append(events)
        self._wake.set()

    def invalidated(self, characteristic_id: int) -> None:
        """A characteristic was invalidated here (from any thread): tell the others."""
        with self._invalid_lock:
            self._invalid.add(characteristic_id)
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(self._wake.set)

    def health(self) -> dict[str, Any]:
        return {
            "ok": self.connected,
            "connected": self.connected,
            "process_id": self.process_id,
            "topic": self.topic,
            "peers": sorted(self.peers),
            "queued": len(self._batches),
            "last_error": self.last_error,
            **dict(sorted(self.counts.items())),
        }

    # --- connection -----------------------------------------------------------------------

    def _client(self) -> aiomqtt.Client:
        tls = None
        if self.tls or self.settings.mqtt_ca_file is not None:
            ca = self.settings.mqtt_ca_file
            tls = ssl.create_default_context(cafile=None if ca is None else str(ca))
            if self.settings.mqtt_cert_file is not None:
                tls.load_cert_chain(self.settings.mqtt_cert_file, self.settings.mqtt_key_file)
        return aiomqtt.Client(
            self.hostname,
            self.port,
            username=self.username or None,
            password=self.password or None,
            # the session in the id: two processes given one process id do not take each
            # other's connection over (their messages then show the mistake in the log)
            identifier=f"openspc-relay-{self.process_id}-{self.session}",
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=True,
            keepalive=KEEPALIVE_SECONDS,
            will=aiomqtt.Will(self.topic, self._control("gone"), qos=1),
            tls_context=tls,
        )

    async def _run(self) -> None:
        delay = RECONNECT_MIN_SECONDS
        while not self._stop.is_set():
            try:
                async with self._client() as client:
                    await self._session(client)
                    delay = RECONNECT_MIN_SECONDS
            except aiomqtt.MqttError as exc:
                self.last_error = str(exc)
                log.warning("event relay: connection to the broker lost (%s)", exc)
            except Exception as exc:  # keep relaying after an unexpected failure
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("event relay session failed")
            finally:
                self._set_connected(False)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _session(self, client: aiomqtt.Client) -> None:
        await client.subscribe(self.filter, options=SubscribeOptions(qos=1, noLocal=True))
        self._seq = 0
        await client.publish(self.topic, self._control("hello"), qos=1)
        # whatever other processes announced while this one was not subscribed is unknown
        self.pipeline.invalidate_all()
        self.peers.clear()
        self._set_connected(True)
        self.last_error = None
        self.counts["connects"] += 1
        listener = asyncio.create_task(self._listen(client), name="openspc-relay-listen")
        try:
            while True:
                await self._flush(client)
                if self._stop.is_set():
                    await client.publish(self.topic, self._control("gone"), qos=1)
                    return
                await self._wake.wait()
                self._wake.clear()
                if listener.done():
                    listener.result()  # raises the MqttError that ended the connection
                    raise aiomqtt.MqttError("the connection ended")
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await listener

    async def _flush(self, client: aiomqtt.Client) -> None:
        while self._batches or self._invalid:
            batches = [
                self._batches.popleft()
                for _ in range(min(len(self._batches), MAX_BATCHES_PER_MESSAGE))
            ]
            with self._invalid_lock:
                invalid, self._invalid = self._invalid, set()
            encoded = [e for e in map(self._encode, batches) if e is not None]
            self._seq += 1
            head = orjson.dumps(
                {
                    "v": VERSION,
                    "kind": "data",
                    "origin": self.process_id,
                    "session": self.session,
                    "seq": self._seq,
                    "invalidate": sorted(invalid),
                }
            )
            payload = head[:-1] + b',"batches":[' + b",".join(encoded) + b"]}"
            try:
                await client.publish(self.topic, payload, qos=1)
            except BaseException:
                self._seq -= 1
                self._batches.extendleft(reversed(batches))
                with self._invalid_lock:
                    self._invalid |= invalid
                raise
            self.counts["sent"] += 1

    async def _listen(self, client: aiomqtt.Client) -> None:
        try:
            async for message in client.messages:
                payload = message.payload
                if not isinstance(payload, bytes | bytearray):
                    continue
                try:
                    await self._receive(bytes(payload))
                except Exception:  # a malformed message must not end the relay
                    self.counts["malformed"] += 1
                    log.exception("event relay: could not apply a message on %s", message.topic)
        finally:
            self._wake.set()  # the session notices a lost connection even when idle

    def _encode(self, events: BatchEvents) -> bytes | None:
        """A batch as JSON; None (its events dropped, its invalidations kept) if it cannot be."""
        try:
            return orjson.dumps(
                {f: getattr(events, f) for f in EVENT_FIELDS if getattr(events, f)},
                option=orjson.OPT_SERIALIZE_NUMPY,
            )
        except TypeError:
            log.exception("event relay: a batch's events are not JSON; not relayed")
            self.counts["unencodable"] += 1
            with self._invalid_lock:
                self._invalid.update(_characteristics(events))
            return None

    # --- receiving ------------------------------------------------------------------------

    async def _receive(self, payload: bytes) -> None:
        message = orjson.loads(payload)
        if message.get("v") != VERSION:
            self.counts["malformed"] += 1
            return
        origin, session, kind = message["origin"], message["session"], message["kind"]
        if origin == self.process_id:
            if session != self.session:
                log.error(
                    "another process uses this process id (%s); give each its own "
                    "OPENSPC_PROCESS_ID",
                    origin,
                )
            return
        known = self.peers.get(origin)
        if kind == "hello":
            self.pipeline.invalidate_all()
            self.peers[origin] = (session, 0)
            self.counts["resyncs"] += 1
            return
        if kind == "gone":
            if known is not None and known[0] == session:
                del self.peers[origin]
            self.pipeline.invalidate_all()
            self.counts["resyncs"] += 1
            return
        seq = int(message["seq"])
        if known is not None and (known[0] != session or seq != known[1] + 1):
            # a lost message (or a restart whose hello was lost): what it changed is unknown
            # (a peer first seen mid-stream was already running when this process subscribed,
            # and this process dropped its cache then)
            self.pipeline.invalidate_all()
            self.counts["gaps"] += 1
        self.peers[origin] = (session, seq)
        batches = [
            BatchEvents(**{f: b.get(f, []) for f in EVENT_FIELDS}) for b in message["batches"]
        ]
        for cid in message["invalidate"]:
            self.pipeline.invalidate(int(cid), remote=True)
        for events in batches:
            for cid in _characteristics(events):
                self.pipeline.invalidate(cid, remote=True)
        self.counts["received"] += 1
        for events in batches:
            await self.deliver(events)

    # --- helpers --------------------------------------------------------------------------

    def _control(self, kind: str) -> bytes:
        return orjson.dumps(
            {"v": VERSION, "kind": kind, "origin": self.process_id, "session": self.session}
        )

    def _set_connected(self, connected: bool) -> None:
        if self.connected and not connected:
            self.pipeline.invalidate_all()
        self.connected = connected
        metrics.mqtt_connected.labels(CONNECTION).set(1 if connected else 0)


def _characteristics(events: BatchEvents) -> set[int]:
    """The characteristics whose cached window or limits a batch's events change."""
    return {int(p["characteristic_id"]) for p in (*events.samples, *events.limits)}
