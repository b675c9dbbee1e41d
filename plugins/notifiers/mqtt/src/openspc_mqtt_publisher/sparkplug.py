"""Sparkplug mode: OpenSPC as a Sparkplug B edge node (see ``session.py`` for the payloads).

- Every connection has a will: NDEATH with that connection's ``bdSeq`` (QoS 1). A stop
  publishes the NDEATH itself before disconnecting.
- After connecting: subscribe to the node's NCMD, then NBIRTH built from the database. Events
  that arrived while disconnected are not kept: the NBIRTH carries their outcome.
- Per wake-up: one NDATA with every change waiting (QoS 0). A change of a characteristic the
  last birth did not describe (a new one) triggers a new NBIRTH instead (``seq`` 0 again).
- NCMD ``Node Control/Rebirth`` = true: a new NBIRTH with the same ``bdSeq``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiomqtt
from sqlalchemy import Engine

from openspc.engine.pipeline import BatchEvents
from openspc_mqtt_publisher import repo
from openspc_mqtt_publisher.broker import Broker
from openspc_mqtt_publisher.changes import Outbox
from openspc_mqtt_publisher.config import PublisherSettings
from openspc_mqtt_publisher.link import Publisher
from openspc_mqtt_publisher.session import EdgeNodeSession
from openspc_sparkplug.codec import NODE_REBIRTH, DecodeError, decode_payload
from openspc_sparkplug.topics import MessageType

NBIRTH, NDATA, NDEATH, NCMD = (
    MessageType.NBIRTH,
    MessageType.NDATA,
    MessageType.NDEATH,
    MessageType.NCMD,
)


def now_ms() -> int:
    return int(time.time() * 1000)


def is_rebirth_request(payload: object) -> bool:
    if not isinstance(payload, bytes | bytearray):
        return False
    try:
        metrics = decode_payload(bytes(payload)).metrics
    except DecodeError:
        return False
    return any(m.name == NODE_REBIRTH and m.value == 1.0 for m in metrics)


class SparkplugPublisher(Publisher):
    mode = "sparkplug"

    def __init__(self, broker: Broker, settings: PublisherSettings, engine: Engine) -> None:
        super().__init__(broker, settings)
        self.engine = engine
        self.session = EdgeNodeSession(settings.group_id, settings.node_id)
        self.outbox = Outbox(settings.queue_size, self.drops)
        self._rebirth = False

    def enqueue(self, events: BatchEvents) -> None:
        if self.connected:
            self.outbox.add(events)
            self._wake.set()

    def health(self) -> dict[str, Any]:
        return {
            **super().health(),
            "group_id": self.settings.group_id,
            "node_id": self.settings.node_id,
            "bd_seq": self.session.bd_seq,
            "characteristics": len(self.session.states),
        }

    def _will(self) -> aiomqtt.Will:
        return aiomqtt.Will(self.session.topics[NDEATH], self.session.connect(), qos=1)

    async def _on_connect(self, client: aiomqtt.Client) -> None:
        await client.subscribe(self.session.topics[NCMD], qos=0)
        await self._birth(client)

    def _on_message(self, message: aiomqtt.Message) -> None:
        if is_rebirth_request(message.payload):
            self._rebirth = True
            self._wake.set()

    async def _flush(self, client: aiomqtt.Client) -> None:
        if self._rebirth:
            await self._birth(client)
        changes = self.outbox.take()
        if not changes:
            return
        if not all(self.session.knows(cid) for cid in changes):
            await self._birth(client)  # describes the new characteristic and the changes
            return
        recount = [cid for cid, change in changes.items() if change.recount]
        alarms = await asyncio.to_thread(repo.alarms_of, self.engine, recount) if recount else {}
        payload = self.session.data(changes, alarms, now_ms())
        if payload is not None:
            await client.publish(self.session.topics[NDATA], payload, qos=0)
            self.published.add(NDATA)

    async def _birth(self, client: aiomqtt.Client) -> None:
        self._rebirth = False
        self.outbox.take()  # committed before the snapshot is read: the NBIRTH holds it
        states = await asyncio.to_thread(repo.snapshot, self.engine)
        await client.publish(self.session.topics[NBIRTH], self.session.birth(states, now_ms()))
        self.published.add(NBIRTH)

    async def _goodbye(self, client: aiomqtt.Client) -> None:
        await client.publish(self.session.topics[NDEATH], self.session.death(), qos=1)
        self.published.add(NDEATH)
