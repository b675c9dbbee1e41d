"""Sparkplug topics and the tag URIs that name one value stream for binding.

Topics: ``spBv1.0/<group>/<type>/<node>[/<device>]`` and ``spBv1.0/STATE/<host_id>``.

Tag URIs (not percent-encoded; ids cannot contain ``/``, ``+`` or ``#``, metric names can
contain ``/``):

- ``sparkplug://<group>/<node>/<metric name>`` for a node metric,
  ``sparkplug://<group>/<node>/<device>/<metric name>`` for a device metric. The two forms
  collide when a node metric's name starts with ``<device>/``; the rule is **node first**:
  a URI names the node metric ``<rest>`` if the node has it, else the device metric.
  :func:`parse_sparkplug_tag` returns the candidates in that order, and the host drops a
  device metric that a node metric shadows (``DropReason.SHADOWED_TAG``).
- ``mqtt://<topic>[#<json field>]`` for plain MQTT: the whole payload is the number, or the
  JSON document's field is. An MQTT topic name cannot contain ``#``, so the first ``#``
  separates the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

NAMESPACE = "spBv1.0"
SPARKPLUG_SCHEME = "sparkplug://"
MQTT_SCHEME = "mqtt://"
_FORBIDDEN_IN_ID = frozenset("/+#")


class TopicError(ValueError):
    """Not a Sparkplug topic or tag URI (or an invalid id)."""


class MessageType(StrEnum):
    NBIRTH = "NBIRTH"
    NDEATH = "NDEATH"
    NDATA = "NDATA"
    NCMD = "NCMD"
    DBIRTH = "DBIRTH"
    DDEATH = "DDEATH"
    DDATA = "DDATA"
    DCMD = "DCMD"

    @property
    def is_device_level(self) -> bool:
        return self.value[0] == "D"


def check_id(kind: str, value: str) -> str:
    """``value`` when it is a valid Sparkplug id (group, edge node, device or host id)."""
    if not value or not _FORBIDDEN_IN_ID.isdisjoint(value):
        raise TopicError(f"invalid {kind} {value!r}: must be non-empty without '/', '+', '#'")
    return value


@dataclass(frozen=True, slots=True)
class Topic:
    """An edge node or device topic; ``device`` is set exactly for the D* message types."""

    group: str
    message_type: MessageType
    node: str
    device: str | None = None

    def __post_init__(self) -> None:
        check_id("group id", self.group)
        check_id("edge node id", self.node)
        if self.message_type.is_device_level:
            check_id("device id", self.device or "")
        elif self.device is not None:
            raise TopicError(f"{self.message_type} has no device id")

    def __str__(self) -> str:
        tail = "" if self.device is None else f"/{self.device}"
        return f"{NAMESPACE}/{self.group}/{self.message_type}/{self.node}{tail}"


@dataclass(frozen=True, slots=True)
class StateTopic:
    host_id: str

    def __post_init__(self) -> None:
        check_id("host id", self.host_id)

    def __str__(self) -> str:
        return f"{NAMESPACE}/STATE/{self.host_id}"


def parse_topic(topic: str) -> Topic | StateTopic:
    parts = topic.split("/")
    if parts[0] != NAMESPACE or len(parts) < 3:
        raise TopicError(f"not a Sparkplug B topic: {topic!r}")
    if parts[1] == "STATE":
        if len(parts) != 3:
            raise TopicError(f"not a STATE topic: {topic!r}")
        return StateTopic(parts[2])
    if len(parts) not in (4, 5):
        raise TopicError(f"not a Sparkplug B topic: {topic!r}")
    try:
        message_type = MessageType(parts[2])
    except ValueError:
        raise TopicError(f"unknown message type in {topic!r}") from None
    return Topic(parts[1], message_type, parts[3], parts[4] if len(parts) == 5 else None)


# --- tag URIs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SparkplugTag:
    group: str
    node: str
    device: str | None
    metric: str

    def __post_init__(self) -> None:
        check_id("group id", self.group)
        check_id("edge node id", self.node)
        if self.device is not None:
            check_id("device id", self.device)
        if not self.metric:
            raise TopicError("a metric name is required")

    @property
    def uri(self) -> str:
        device = "" if self.device is None else f"{self.device}/"
        return f"{SPARKPLUG_SCHEME}{self.group}/{self.node}/{device}{self.metric}"


def sparkplug_tag_uri(group: str, node: str, device: str | None, metric: str) -> str:
    return SparkplugTag(group, node, device, metric).uri


def parse_sparkplug_tag(uri: str) -> tuple[SparkplugTag, ...]:
    """The metrics a URI can name, in resolution order: the node metric, then the device one."""
    if not uri.startswith(SPARKPLUG_SCHEME):
        raise TopicError(f"not a sparkplug:// tag: {uri!r}")
    parts = uri[len(SPARKPLUG_SCHEME) :].split("/", 2)
    if len(parts) != 3:
        raise TopicError(f"a sparkplug:// tag needs <group>/<node>/<metric>: {uri!r}")
    group, node, rest = parts
    candidates = [SparkplugTag(group, node, None, rest)]
    device, _, metric = rest.partition("/")
    if device and metric and _FORBIDDEN_IN_ID.isdisjoint(device):
        candidates.append(SparkplugTag(group, node, device, metric))
    return tuple(candidates)


@dataclass(frozen=True, slots=True)
class MqttTag:
    topic: str
    field: str | None = None

    def __post_init__(self) -> None:
        if not self.topic or "#" in self.topic or "+" in self.topic:
            raise TopicError(f"a tag needs one concrete MQTT topic, got {self.topic!r}")
        if self.field == "":
            raise TopicError("the JSON field, when given, must not be empty")

    @property
    def uri(self) -> str:
        field = "" if self.field is None else f"#{self.field}"
        return f"{MQTT_SCHEME}{self.topic}{field}"


def mqtt_tag_uri(topic: str, field: str | None = None) -> str:
    return MqttTag(topic, field).uri


def parse_mqtt_tag(uri: str) -> MqttTag:
    if not uri.startswith(MQTT_SCHEME):
        raise TopicError(f"not an mqtt:// tag: {uri!r}")
    topic, separator, field = uri[len(MQTT_SCHEME) :].partition("#")
    return MqttTag(topic, field if separator else None)
