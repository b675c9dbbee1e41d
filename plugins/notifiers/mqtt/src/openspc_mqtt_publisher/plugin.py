"""The ``openspc`` entry point of the MQTT publisher."""

from __future__ import annotations

from collections.abc import Sequence

from openspc.hookspecs import hookimpl
from openspc_mqtt_publisher.notifier import MqttPublisher


@hookimpl
def register_notifiers() -> Sequence[type]:
    return [MqttPublisher]
