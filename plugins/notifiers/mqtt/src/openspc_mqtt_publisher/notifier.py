"""The ``mqtt_publisher`` notifier: publishes each committed batch's results over MQTT, as a
Sparkplug B edge node or as JSON events (``OPENSPC_MQTT_PUBLISH_MODE``), on a connection of
its own (not the one the Sparkplug provider ingests with)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI

from openspc.engine.pipeline import BatchEvents
from openspc_mqtt_publisher.broker import Broker
from openspc_mqtt_publisher.config import PublisherSettings
from openspc_mqtt_publisher.json_events import JsonPublisher
from openspc_mqtt_publisher.link import Publisher
from openspc_mqtt_publisher.sparkplug import SparkplugPublisher

log = logging.getLogger(__name__)


class MqttPublisher:
    name = "mqtt_publisher"

    def __init__(self, app: FastAPI) -> None:
        kernel = app.state.kernel
        settings = PublisherSettings()
        url = settings.url or kernel.settings.mqtt_url
        self.publisher: Publisher | None = None
        if settings.enabled and url:
            broker = Broker.configure(url, kernel.settings)
            if settings.mode == "sparkplug":
                self.publisher = SparkplugPublisher(broker, settings, kernel.engine)
            else:
                self.publisher = JsonPublisher(broker, settings)

    async def start(self) -> None:
        if self.publisher is None:
            log.info("MQTT publisher not configured (no broker URL, or disabled)")
            return
        await self.publisher.start()

    async def send(self, events: BatchEvents) -> None:
        if self.publisher is not None:
            self.publisher.enqueue(events)

    async def stop(self) -> None:
        if self.publisher is not None:
            await self.publisher.stop()

    def health(self) -> dict[str, Any]:
        if self.publisher is None:
            return {"enabled": False}
        return self.publisher.health()
