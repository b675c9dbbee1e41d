import pytest

from openspc_sparkplug.topics import (
    MessageType,
    MqttTag,
    SparkplugTag,
    StateTopic,
    Topic,
    TopicError,
    mqtt_tag_uri,
    parse_mqtt_tag,
    parse_sparkplug_tag,
    parse_topic,
    sparkplug_tag_uri,
)


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("spBv1.0/Plant1/NBIRTH/Edge1", Topic("Plant1", MessageType.NBIRTH, "Edge1")),
        ("spBv1.0/Plant1/NDATA/Edge1", Topic("Plant1", MessageType.NDATA, "Edge1")),
        ("spBv1.0/Plant1/DDATA/Edge1/PLC 3", Topic("Plant1", MessageType.DDATA, "Edge1", "PLC 3")),
        ("spBv1.0/Plant1/DDEATH/Edge1/PLC", Topic("Plant1", MessageType.DDEATH, "Edge1", "PLC")),
        ("spBv1.0/STATE/scada-1", StateTopic("scada-1")),
    ],
)
def test_parse_and_build_roundtrip(text, topic):
    assert parse_topic(text) == topic
    assert str(topic) == text


@pytest.mark.parametrize(
    "text",
    [
        "spAv1.0/G/NDATA/N",
        "spBv1.0/G/NDATA",
        "spBv1.0/G/XDATA/N",
        "spBv1.0/G/NDATA/N/D",  # node message with a device
        "spBv1.0/G/DDATA/N",  # device message without one
        "spBv1.0/G/DDATA/N/D/extra",
        "spBv1.0//NDATA/N",
        "spBv1.0/STATE",
        "spBv1.0/STATE/a/b",
        "plant/line1/temperature",
    ],
)
def test_invalid_topics(text):
    with pytest.raises(TopicError):
        parse_topic(text)


@pytest.mark.parametrize("bad", ["", "a/b", "a+b", "a#"])
def test_ids_are_validated_when_building(bad):
    with pytest.raises(TopicError):
        str(Topic(bad, MessageType.NDATA, "N"))
    with pytest.raises(TopicError):
        str(StateTopic(bad))


def test_message_type_level():
    assert MessageType.DBIRTH.is_device_level and not MessageType.NBIRTH.is_device_level


def test_sparkplug_tag_uris():
    assert sparkplug_tag_uri("G", "N", None, "Cell 1/Torque") == "sparkplug://G/N/Cell 1/Torque"
    assert sparkplug_tag_uri("G", "N", "PLC", "Torque") == "sparkplug://G/N/PLC/Torque"
    with pytest.raises(TopicError):
        sparkplug_tag_uri("G", "N", "P/LC", "x")
    with pytest.raises(TopicError):
        sparkplug_tag_uri("G", "N", None, "")


def test_ambiguous_tag_resolves_node_metric_first_then_device():
    assert parse_sparkplug_tag("sparkplug://G/N/Cell 1/Torque") == (
        SparkplugTag("G", "N", None, "Cell 1/Torque"),
        SparkplugTag("G", "N", "Cell 1", "Torque"),
    )
    assert parse_sparkplug_tag("sparkplug://G/N/Torque") == (
        SparkplugTag("G", "N", None, "Torque"),
    )
    candidates = parse_sparkplug_tag("sparkplug://G/N/a+b/c")  # "a+b" cannot be a device id
    assert candidates == (SparkplugTag("G", "N", None, "a+b/c"),)
    for candidate in parse_sparkplug_tag("sparkplug://G/N/D/x/y"):
        assert candidate.uri == "sparkplug://G/N/D/x/y"


@pytest.mark.parametrize(
    "uri", ["mqtt://x", "sparkplug://G", "sparkplug://G/N", "sparkplug://G/N/", "sparkplug:///N/x"]
)
def test_invalid_sparkplug_tags(uri):
    with pytest.raises(TopicError):
        parse_sparkplug_tag(uri)


def test_mqtt_tags():
    assert parse_mqtt_tag("mqtt://plant/line1/temp") == MqttTag("plant/line1/temp")
    tag = parse_mqtt_tag("mqtt://plant/line1/status#sensors.temp")
    assert tag == MqttTag("plant/line1/status", "sensors.temp")
    assert tag.uri == "mqtt://plant/line1/status#sensors.temp"
    assert mqtt_tag_uri("a/b") == "mqtt://a/b"


@pytest.mark.parametrize("uri", ["mqtt://", "mqtt://a/+/c", "mqtt://a#", "sparkplug://a/b/c"])
def test_invalid_mqtt_tags(uri):
    with pytest.raises(TopicError):
        parse_mqtt_tag(uri)
