"""JSON mode: every violation to ``<prefix>/violation`` and every acknowledgment to
``<prefix>/ack``, the event payload as a JSON document, QoS 1, in order.

Events wait in a queue of at most ``queue_size`` while the broker is slow or unreachable
(beyond, the oldest is dropped and counted ``queue_full``); a message leaves the queue only
once the broker acknowledged it, so a lost connection redelivers it (at least once).
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

import aiomqtt
import orjson

from openspc.engine.pipeline import BatchEvents
from openspc_mqtt_publisher.broker import Broker
from openspc_mqtt_publisher.config import PublisherSettings
from openspc_mqtt_publisher.link import Publisher

log = logging.getLogger(__name__)

KINDS = ("violation", "ack")


class JsonPublisher(Publisher):
    mode = "json"

    def __init__(self, broker: Broker, settings: PublisherSettings) -> None:
        super().__init__(broker, settings)
        self.topics = {kind: f"{settings.topic_prefix}/{kind}" for kind in KINDS}
        self.queue: deque[tuple[str, bytes]] = deque()  # (kind, payload)
        self._overflowing = False  # logged once per episode, counted always

    def enqueue(self, events: BatchEvents) -> None:
        for violation in events.violations:
            self._put("violation", violation)
        for ack in getattr(events, "acks", []):
            self._put("ack", ack)
        if self.queue:
            self._wake.set()

    def health(self) -> dict[str, Any]:
        return {**super().health(), "topics": self.topics, "queued": len(self.queue)}

    def _put(self, kind: str, event: dict[str, Any]) -> None:
        if len(self.queue) >= self.settings.queue_size:
            self.queue.popleft()
            self.drops.add("queue_full")
            if not self._overflowing:
                log.error(
                    "MQTT publisher queue is full (%d): dropping the oldest events", len(self.queue)
                )
                self._overflowing = True
        self.queue.append((kind, orjson.dumps(event)))

    async def _flush(self, client: aiomqtt.Client) -> None:
        while self.queue:
            kind, payload = item = self.queue.popleft()
            try:
                await client.publish(self.topics[kind], payload, qos=1)
            except BaseException:
                self.queue.appendleft(item)
                raise
            self.published.add(kind)
        self._overflowing = False
