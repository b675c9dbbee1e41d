"""The simulator against a real Mosquitto, read back with our codec and host state machine."""

import asyncio
import socket
import sys
import time
from collections import defaultdict

import pytest

from openspc_sparkplug.codec import (
    BD_SEQ,
    NODE_REBIRTH,
    DecodedPayload,
    decode_payload,
    encode_rebirth_request,
    encode_state,
)
from openspc_sparkplug.drops import DropReason
from openspc_sparkplug.host import HostStep, SparkplugHost
from openspc_sparkplug.simulator import BrokerAddress, EdgeNodeSimulator, SimulatorConfig


def config(broker, group: str, **settings) -> SimulatorConfig:
    defaults = {"metrics": 3, "rate": 100.0, "seed": 1, "reconnect_delay": 0.1}
    return SimulatorConfig(group=group, node="N", mqtt_url=broker.url, **{**defaults, **settings})


def topic(group: str, kind: str, device: str | None = None) -> str:
    return f"spBv1.0/{group}/{kind}/N" + ("" if device is None else f"/{device}")


def bd_seq(payload: DecodedPayload) -> int | None:
    values = [m.value for m in payload.metrics if m.name == BD_SEQ]
    return None if values[0] is None else int(values[0])


async def wait_for_count(peer, topic_name: str, count: int, *, start: int = 0) -> int:
    """Index of the ``count``-th message on ``topic_name`` at or after ``start``."""
    index = start - 1
    for _ in range(count):
        index = await peer.wait_for_topic(topic_name, start=index + 1)
    return index


def replay(peer, group: str) -> HostStep:
    """Everything the group published, through a fresh host state machine."""
    host = SparkplugHost()
    total = HostStep()
    for topic_name, payload in peer.messages:
        if topic_name.startswith(f"spBv1.0/{group}/"):
            step = host.receive(topic_name, payload, time.time())
            total.values += step.values
            total.rebirths += step.rebirths
            total.drops += step.drops
    return total


@pytest.mark.asyncio
async def test_nbirth_then_ndata(mosquitto, mqtt_peer, group):
    async with EdgeNodeSimulator(config(mosquitto, group)) as simulator:
        birth = await mqtt_peer.wait_for_topic(topic(group, "NBIRTH"))
        last = await wait_for_count(mqtt_peer, topic(group, "NDATA"), 5, start=birth)
    death = await mqtt_peer.wait_for_topic(topic(group, "NDEATH"), start=last)

    nbirth = decode_payload(mqtt_peer.messages[birth][1])
    assert nbirth.seq == 0 and bd_seq(nbirth) == 0
    assert [(m.name, m.alias) for m in nbirth.metrics] == [
        (BD_SEQ, None),
        (NODE_REBIRTH, None),
        *((name, alias) for alias, name in enumerate(simulator.metric_names)),
    ]
    ndata = [
        decode_payload(payload)
        for topic_name, payload in mqtt_peer.messages[birth:death]
        if topic_name == topic(group, "NDATA")
    ]
    assert [payload.seq for payload in ndata] == list(range(1, len(ndata) + 1))
    for payload in ndata:
        assert [(m.name, m.alias) for m in payload.metrics] == [(None, 0), (None, 1), (None, 2)]
        assert all(m.value is not None for m in payload.metrics)
    assert bd_seq(decode_payload(mqtt_peer.messages[death][1])) == 0

    replayed = replay(mqtt_peer, group)
    assert not replayed.drops and not replayed.rebirths
    assert {value.tag for value in replayed.values} == {
        f"sparkplug://{group}/N/{name}" for name in simulator.metric_names
    }
    assert len(replayed.values) == 3 * (1 + len(ndata))


@pytest.mark.asyncio
async def test_device_birth_and_data(mosquitto, mqtt_peer, group):
    async with EdgeNodeSimulator(config(mosquitto, group, device="PLC1")):
        nbirth = await mqtt_peer.wait_for_topic(topic(group, "NBIRTH"))
        dbirth = await mqtt_peer.wait_for_topic(topic(group, "DBIRTH", "PLC1"), start=nbirth)
        await wait_for_count(mqtt_peer, topic(group, "DDATA", "PLC1"), 3, start=dbirth)
    assert [m.name for m in decode_payload(mqtt_peer.messages[nbirth][1]).metrics] == [
        BD_SEQ,
        NODE_REBIRTH,
    ]
    assert decode_payload(mqtt_peer.messages[dbirth][1]).seq == 1
    replayed = replay(mqtt_peer, group)
    assert not replayed.drops
    assert all(value.tag.startswith(f"sparkplug://{group}/N/PLC1/") for value in replayed.values)


@pytest.mark.asyncio
async def test_rebirth_request_is_answered(mosquitto, mqtt_peer, group):
    async with EdgeNodeSimulator(config(mosquitto, group)):
        first = await mqtt_peer.wait_for_topic(topic(group, "NBIRTH"))
        await wait_for_count(mqtt_peer, topic(group, "NDATA"), 3, start=first)
        request = encode_rebirth_request(timestamp=int(time.time() * 1000))
        await mqtt_peer.client.publish(topic(group, "NCMD"), request)
        second = await mqtt_peer.wait_for_topic(topic(group, "NBIRTH"), start=first + 1)
        await wait_for_count(mqtt_peer, topic(group, "NDATA"), 3, start=second)
    rebirth = decode_payload(mqtt_peer.messages[second][1])
    assert rebirth.seq == 0
    assert bd_seq(rebirth) == 0  # same MQTT session, same bdSeq
    after = decode_payload(mqtt_peer.messages[second + 1][1])
    assert after.seq == 1
    replayed = replay(mqtt_peer, group)
    assert not replayed.rebirths
    assert set(replayed.drops) <= {DropReason.DUPLICATE}  # the rebirth repeats the last sample


@pytest.mark.asyncio
async def test_store_and_forward_while_the_primary_host_is_offline(mosquitto, mqtt_peer, group):
    state = f"spBv1.0/STATE/host-{group}"
    samples: list[int] = []

    async def set_state(online: bool) -> None:
        payload = encode_state(online, timestamp=int(time.time() * 1000))
        await mqtt_peer.client.publish(state, payload, qos=1, retain=True)

    await set_state(False)
    simulator = EdgeNodeSimulator(
        config(mosquitto, group, primary_host=f"host-{group}"),
        on_sample=lambda timestamp, values: samples.append(timestamp),
    )
    await simulator.start()
    try:
        await asyncio.sleep(0.3)
        assert not any(t == topic(group, "NBIRTH") for t, _ in mqtt_peer.messages)  # waits
        await set_state(True)
        first = await mqtt_peer.wait_for_topic(topic(group, "NBIRTH"))
        await wait_for_count(mqtt_peer, topic(group, "NDATA"), 10, start=first)
        await set_state(False)
        death = await mqtt_peer.wait_for_topic(topic(group, "NDEATH"), start=first)
        await asyncio.sleep(0.3)
        await set_state(True)
        second = await mqtt_peer.wait_for_topic(topic(group, "NBIRTH"), start=death)
        await wait_for_count(mqtt_peer, topic(group, "NDATA"), 10, start=second)
    finally:
        await simulator.stop()
    await mqtt_peer.wait_for_topic(topic(group, "NDEATH"), start=second)

    assert bd_seq(decode_payload(mqtt_peer.messages[death][1])) == 0
    assert bd_seq(decode_payload(mqtt_peer.messages[second][1])) == 1  # a new MQTT session
    replayed = replay(mqtt_peer, group)
    assert not replayed.drops and not replayed.rebirths
    by_tag: dict[str, list[int]] = defaultdict(list)
    historical: dict[str, list[int]] = defaultdict(list)
    for value in replayed.values:
        by_tag[value.tag].append(value.timestamp)
        if value.is_historical:
            historical[value.tag].append(value.timestamp)
    assert len(by_tag) == 3
    for tag, timestamps in by_tag.items():
        assert len(timestamps) == len(set(timestamps)), f"{tag} received a sample twice"
        sent = {t for t in samples if t <= max(timestamps)}
        assert set(timestamps) == sent, f"{tag} lost {sorted(sent - set(timestamps))}"
    first_birth = decode_payload(mqtt_peer.messages[first][1]).timestamp
    second_birth = decode_payload(mqtt_peer.messages[second][1]).timestamp
    assert first_birth is not None and second_birth is not None
    for timestamps in historical.values():  # stored before each birth, original timestamps
        assert sum(t < first_birth for t in timestamps) >= 15
        assert sum(first_birth < t < second_birth for t in timestamps) >= 15
        assert all(t in samples for t in timestamps)


@pytest.mark.asyncio
async def test_will_ndeath_on_abrupt_disconnect(mosquitto, mqtt_peer, group):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "openspc_sparkplug",
        "--mqtt-url",
        mosquitto.url,
        "--group",
        group,
        "--node",
        "N",
        "--metrics",
        "2",
        "--rate",
        "20",
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        birth = await mqtt_peer.wait_for_topic(topic(group, "NBIRTH"), timeout=15)
        await mqtt_peer.wait_for_topic(topic(group, "NDATA"), start=birth)
    finally:
        process.kill()  # SIGKILL: no NDEATH of its own, no DISCONNECT
        await process.wait()
    death = await mqtt_peer.wait_for_topic(topic(group, "NDEATH"), start=birth)
    will = decode_payload(mqtt_peer.messages[death][1])
    assert will.seq is None
    assert bd_seq(will) == bd_seq(decode_payload(mqtt_peer.messages[birth][1]))


@pytest.mark.asyncio
async def test_samples_are_stored_bounded_while_the_broker_is_unreachable(group):
    timestamps: list[int] = []
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        simulator = EdgeNodeSimulator(
            SimulatorConfig(
                group=group,
                node="N",
                mqtt_url=f"mqtt://127.0.0.1:{probe.getsockname()[1]}",
                rate=200,
                max_stored_samples=10,
                reconnect_delay=0.1,
            ),
            on_sample=lambda timestamp, values: timestamps.append(timestamp),
            clock=lambda: 1000.0,  # a stalled clock: timestamps must still be distinct
        )
        await simulator.start()
        await asyncio.sleep(0.3)
        await asyncio.wait_for(simulator.stop(), 2.0)
    stats = simulator.stats
    assert stats.sessions == 0 and stats.births == 0
    assert stats.samples > 20 and stats.stored_dropped == stats.samples - 10
    assert timestamps == list(range(1_000_000, 1_000_000 + stats.samples))


def test_broker_address():
    assert BrokerAddress.parse("mqtt://127.0.0.1") == BrokerAddress("127.0.0.1", 1883)
    assert BrokerAddress.parse("mqtts://u:p%40ss@broker:9000") == BrokerAddress(
        "broker", 9000, "u", "p@ss", tls=True
    )
    for bad in ("http://x", "mqtt://", "127.0.0.1:1883"):
        with pytest.raises(ValueError):
            BrokerAddress.parse(bad)


def test_config_validates_ids_and_numbers():
    with pytest.raises(ValueError):
        SimulatorConfig(group="G/1", node="N")
    with pytest.raises(ValueError):
        SimulatorConfig(group="G", node="N", rate=0)
    with pytest.raises(ValueError):
        SimulatorConfig(group="G", node="N", primary_host="a+b")
