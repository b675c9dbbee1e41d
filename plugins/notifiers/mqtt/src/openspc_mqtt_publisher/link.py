"""One MQTT connection that publishes in the background: connect, run a session until the
connection drops or the publisher stops, reconnect with exponential backoff.

``enqueue`` (called from the notifier's ``send``) only records what is to be published and
wakes the session; the session publishes it. Nothing here ever waits on the pipeline, and
the pipeline never waits on the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from typing import Any

import aiomqtt

from openspc import metrics
from openspc.engine.pipeline import BatchEvents
from openspc_mqtt_publisher import tally
from openspc_mqtt_publisher.broker import Broker
from openspc_mqtt_publisher.config import PublisherSettings

log = logging.getLogger(__name__)


class Publisher(ABC):
    mode: str

    def __init__(self, broker: Broker, settings: PublisherSettings) -> None:
        self.broker = broker
        self.settings = settings
        self.client_id = settings.client_identifier()
        self.connected = False
        self.published = tally.Tally(tally.published)
        self.drops = tally.Tally(tally.dropped)
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # --- interface ------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"openspc-mqtt-publish-{self.mode}")

    async def stop(self, timeout: float = 5.0) -> None:
        """Publish what is waiting and say goodbye if connected; give up after ``timeout``."""
        assert self._task is not None
        self._stop.set()
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except TimeoutError:
            log.warning("MQTT publisher did not end its session in %.1f s", timeout)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @abstractmethod
    def enqueue(self, events: BatchEvents) -> None:
        """Take what is to be published from a batch's events (never blocks)."""

    def health(self) -> dict[str, Any]:
        return {
            "ok": self.connected,
            "mode": self.mode,
            "connected": self.connected,
            "broker": str(self.broker),
            "client_id": self.client_id,
            "published": dict(self.published.counts),
            "dropped": dict(self.drops.counts),
        }

    # --- what a mode defines --------------------------------------------------------------

    def _will(self) -> aiomqtt.Will | None:
        """The will of the next connection (called once per connect)."""
        return None

    async def _on_connect(self, client: aiomqtt.Client) -> None:  # noqa: B027
        """Runs first on every new connection."""

    def _on_message(self, message: aiomqtt.Message) -> None:  # noqa: B027
        """A message arrived on a subscribed topic."""

    @abstractmethod
    async def _flush(self, client: aiomqtt.Client) -> None:
        """Publish everything waiting."""

    async def _goodbye(self, client: aiomqtt.Client) -> None:  # noqa: B027
        """The last words before a deliberate disconnect."""

    # --- connection -----------------------------------------------------------------------

    async def _run(self) -> None:
        delay = self.settings.reconnect_min_seconds
        while not self._stop.is_set():
            try:
                will = self._will()
                async with self.broker.client(
                    self.client_id, self.settings.keepalive_seconds, will
                ) as client:
                    self._set_connected(True)
                    log.info("MQTT publisher connected to %s as %s", self.broker, self.client_id)
                    delay = self.settings.reconnect_min_seconds
                    await self._session(client)
            except aiomqtt.MqttError as exc:
                log.warning("MQTT publisher: connection to %s lost (%s)", self.broker, exc)
            except Exception:  # a failing database read must not end publishing for good
                log.exception("MQTT publisher session failed")
            finally:
                self._set_connected(False)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
            delay = min(delay * 2, self.settings.reconnect_max_seconds)

    async def _session(self, client: aiomqtt.Client) -> None:
        listener = asyncio.create_task(self._listen(client))
        try:
            try:
                await self._on_connect(client)
                while True:
                    await self._flush(client)
                    if self._stop.is_set():
                        break
                    await self._wake.wait()
                    self._wake.clear()
                    if listener.done():
                        listener.result()  # raises the MqttError that ended the connection
                        raise aiomqtt.MqttError("the connection ended")
            except aiomqtt.MqttError:
                raise
            except Exception:  # still connected: end the session properly, then retry
                with contextlib.suppress(aiomqtt.MqttError):
                    await self._goodbye(client)
                raise
            await self._goodbye(client)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await listener

    async def _listen(self, client: aiomqtt.Client) -> None:
        try:
            async for message in client.messages:
                self._on_message(message)
        finally:
            self._wake.set()  # the session notices a lost connection even when idle

    def _set_connected(self, connected: bool) -> None:
        self.connected = connected
        metrics.mqtt_connected.labels("publisher").set(1 if connected else 0)
