"""The host's MQTT connection: a paho client in its own network thread.

- A persistent session (fixed client id, no clean start, MQTT 3.1.1) with manual
  acknowledgement: a QoS 1 message is acknowledged only when :meth:`MqttConnection.ack` is
  called, and only on the connection it arrived on (an acknowledgement for an earlier
  connection is dropped; the broker redelivers the message, and the pipeline recognizes it).
- STATE (Sparkplug 3.0 primary host): each connection's will is ``{"online": false,
  "timestamp": T}`` (QoS 1, retained) on ``spBv1.0/STATE/<host_id>``; once the broker
  acknowledged all subscriptions of the connection the host publishes ``online: true`` with
  the same T. Its own offline STATE, received while online and not older than T, is answered with
  online again.
- Messages are handed to asyncio in bursts: the network thread buffers them and wakes the
  event loop once per burst. When the buffer is full the network thread stops reading, so
  the broker holds the backlog.
- Reconnection with exponential backoff (paho's, ``reconnect_min_delay`` doubling up to
  ``reconnect_max_delay``); subscriptions are renewed on every connect.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from openspc import metrics
from openspc_sparkplug.codec import DecodeError, decode_state, encode_state
from openspc_sparkplug.config import SparkplugConfig
from openspc_sparkplug.topics import NAMESPACE, StateTopic

log = logging.getLogger(__name__)

CONNECTION = "sparkplug"  # the ``connection`` label of the MQTT metrics
SUBSCRIBE_CHUNK = 100  # topics per SUBSCRIBE packet


class Message(NamedTuple):
    topic: str
    payload: bytes
    qos: int
    mid: int
    generation: int  # of the connection it arrived on (acks go to that connection only)


class MqttConnection:
    def __init__(
        self, config: SparkplugConfig, wake: Callable[[], None], *, max_inbox: int = 10_000
    ) -> None:
        self.config = config
        self.state_topic = str(StateTopic(config.host_id))
        self.connected = False
        self.online = False  # our STATE online is published on the current connection
        self.connects = 0
        self.last_error: str | None = None
        self._wake = wake
        self._max_inbox = max_inbox
        self._lock = threading.Lock()  # connection state, generation, acks, subscriptions
        self._inbox_ready = threading.Condition()
        self._inbox: list[Message] = []
        self._wake_pending = False
        self._accepting = True
        self._generation = 0
        self._state_timestamp = 0
        self._sparkplug_mid: int | None = None
        self._awaited: set[int | None] = set()  # SUBSCRIBE packets of this connection not yet acked
        self._plain_topics: set[str] = set()
        self._client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        config = self.config
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=config.session_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if config.username is not None:
            password = config.password.get_secret_value() if config.password else None
            client.username_pw_set(config.username, password)
        if config.tls:
            client.tls_set(
                ca_certs=None if config.ca_file is None else str(config.ca_file),
                certfile=None if config.cert_file is None else str(config.cert_file),
                keyfile=None if config.key_file is None else str(config.key_file),
                cert_reqs=ssl.CERT_REQUIRED,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        client.reconnect_delay_set(config.reconnect_min_delay, config.reconnect_max_delay)  # type: ignore[arg-type]
        client.on_pre_connect = self._on_pre_connect
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    # --- used from the event loop ------------------------------------------------------------

    def start(self) -> None:
        metrics.mqtt_connected.labels(CONNECTION).set(0)
        self._client.connect_async(self.config.hostname, self.config.port, self.config.keepalive)
        self._client.loop_start()

    def take(self) -> list[Message]:
        """Every message received since the last call (the burst), oldest first."""
        with self._inbox_ready:
            burst, self._inbox = self._inbox, []
            self._wake_pending = False
            self._inbox_ready.notify_all()
        return burst

    def ack(self, mid: int, generation: int) -> None:
        with self._lock:
            if self.connected and generation == self._generation:
                self._client.ack(mid, 1)

    def publish(self, topic: str, payload: bytes) -> None:
        """QoS 0, not retained (rebirth requests)."""
        self._client.publish(topic, payload, qos=0)

    def set_plain_topics(self, topics: set[str]) -> None:
        """Subscribe to the plain topics now bound (QoS 1), unsubscribe from the others."""
        topics = {t for t in topics if self.config.takes_plain_topic(t)}  # this partition's
        with self._lock:
            added, removed = topics - self._plain_topics, self._plain_topics - topics
            self._plain_topics = set(topics)
            if self.connected:
                self._subscribe(added)
                if removed:
                    self._client.unsubscribe(sorted(removed))

    def pause(self) -> None:
        """Take no more messages; those not acknowledged are redelivered in the next session."""
        with self._inbox_ready:
            self._accepting = False
            self._inbox_ready.notify_all()

    async def go_offline(self, timeout: float = 5.0) -> None:
        """Publish STATE offline (QoS 1, retained) and wait until the broker has it."""
        self.online = False
        if not self.connected:
            return
        info = self._client.publish(
            self.state_topic, encode_state(False, timestamp=self._state_timestamp), 1, True
        )
        await asyncio.to_thread(info.wait_for_publish, timeout)

    async def close(self) -> None:
        """Disconnect cleanly (no will) and end the network thread."""
        self._client.disconnect()
        await asyncio.to_thread(self._client.loop_stop)
        self.connected = False
        metrics.mqtt_connected.labels(CONNECTION).set(0)

    # --- paho callbacks (network thread) ------------------------------------------------------

    def _on_pre_connect(self, client: mqtt.Client, userdata: Any) -> None:
        self._state_timestamp = int(time.time() * 1000)
        will = encode_state(False, timestamp=self._state_timestamp)
        client.will_set(self.state_topic, will, qos=1, retain=True)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Any,
    ) -> None:
        if reason.is_failure:
            self.last_error = f"connection refused: {reason}"
            log.warning("MQTT broker %s refused the connection: %s", self.config.broker, reason)
            return
        with self._lock:
            self._generation += 1
            self.connected = True
            self.connects += 1
            self.last_error = None
            groups = self.config.groups
            sparkplug = (
                [(f"{NAMESPACE}/{g}/#", 1) for g in groups] + [(self.state_topic, 1)]
                if groups
                else [(f"{NAMESPACE}/#", 1)]
            )
            _, self._sparkplug_mid = client.subscribe(sparkplug)
            self._awaited = {self._sparkplug_mid, *self._subscribe(self._plain_topics)} - {None}
        metrics.mqtt_connected.labels(CONNECTION).set(1)
        log.info(
            "connected to MQTT broker %s as %s (session present: %s)",
            self.config.broker,
            self.config.session_id,
            flags.session_present,
        )

    def _subscribe(self, topics: Iterable[str]) -> list[int | None]:
        """Subscribe (QoS 1) in chunks; the message ids of the SUBSCRIBE packets."""
        ordered = sorted(topics)
        return [
            self._client.subscribe([(t, 1) for t in ordered[start : start + SUBSCRIBE_CHUNK]])[1]
            for start in range(0, len(ordered), SUBSCRIBE_CHUNK)
        ]

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self.last_error = f"cannot reach the MQTT broker at {self.config.broker}"
        log.warning("%s; retrying with backoff", self.last_error)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Any,
    ) -> None:
        with self._lock:
            self._generation += 1
            was_connected, self.connected, self.online = self.connected, False, False
        metrics.mqtt_connected.labels(CONNECTION).set(0)
        if was_connected and self._accepting:  # (a refused connection was reported already)
            self.last_error = f"disconnected: {reason}"
            log.warning("lost the MQTT connection (%s); reconnecting with backoff", reason)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reasons: list[ReasonCode],
        properties: Any,
    ) -> None:
        refused = [r for r in reasons if r.is_failure]
        if mid == self._sparkplug_mid and refused:
            self.last_error = "the broker refused the Sparkplug subscription"
            log.error("%s; STATE stays offline", self.last_error)
            return
        if refused:
            log.warning("the broker refused %d plain topic subscription(s)", len(refused))
        self._awaited.discard(mid)
        if self._awaited or self.online:
            return
        # every subscription of this connection is in place: ready to ingest
        client.publish(
            self.state_topic, encode_state(True, timestamp=self._state_timestamp), 1, True
        )
        self.online = True

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        topic = message.topic
        if topic == self.state_topic:
            self._on_own_state(client, message)
            return
        with self._inbox_ready:
            while self._accepting and len(self._inbox) >= self._max_inbox:
                self._inbox_ready.wait(0.5)
            if not self._accepting:
                return  # not acknowledged: the broker redelivers it to the next session
            self._inbox.append(
                Message(topic, bytes(message.payload), message.qos, message.mid, self._generation)
            )
            if self._wake_pending:
                return
            self._wake_pending = True
        self._wake()

    def _on_own_state(self, client: mqtt.Client, message: mqtt.MQTTMessage) -> None:
        try:
            state = decode_state(bytes(message.payload))
        except DecodeError:
            state = None
        if (
            state is not None
            and not state.online
            and self.online
            and (state.timestamp is None or state.timestamp >= self._state_timestamp)
        ):
            log.warning("received our own STATE offline while connected; publishing online")
            client.publish(
                self.state_topic, encode_state(True, timestamp=self._state_timestamp), 1, True
            )
        if message.qos:
            client.ack(message.mid, message.qos)
