"""The provider as a Sparkplug B host application, through the real app and a real Mosquitto:
births and aliases, device metrics, seq gaps, unknown aliases, deaths and STATE."""

import asyncio
import time

import aiomqtt

from openspc_sparkplug.codec import (
    NODE_REBIRTH,
    DataType,
    Metric,
    decode_payload,
    decode_state,
    encode_nbirth,
    encode_ndeath,
    encode_payload,
)
from openspc_sparkplug.sparkplug_b_pb2 import Payload

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in ms


def topic(group: str, kind: str, device: str | None = None) -> str:
    return f"spBv1.0/{group}/{kind}/N" + ("" if device is None else f"/{device}")


def births(bd_seq: int = 0) -> bytes:
    return encode_nbirth(
        [
            Metric(name="temp", alias=1, datatype=DataType.Double, value=1.5, timestamp=T0),
            Metric(name="line/speed", alias=2, datatype=DataType.Int16, value=-3, timestamp=T0),
        ],
        bd_seq=bd_seq,
        timestamp=T0,
    )


def ndata(seq: int, *values: tuple[int, int, float], datatype: DataType = DataType.Double) -> bytes:
    """NDATA by alias: ``(alias, timestamp, value)`` entries."""
    return encode_payload(
        [Metric(alias=a, datatype=datatype, value=v, timestamp=ts) for a, ts, v in values],
        timestamp=T0,
        seq=seq,
    )


def is_rebirth_request(payload: bytes) -> bool:
    return any(m.name == NODE_REBIRTH and m.value == 1.0 for m in decode_payload(payload).metrics)


async def test_births_aliases_and_device_metrics(harness, mqtt_peer, group):
    temp = harness.characteristic(f"sparkplug://{group}/N/temp")
    speed = harness.characteristic(f"sparkplug://{group}/N/line/speed")
    pressure = harness.characteristic(f"sparkplug://{group}/N/D1/pressure")
    async with harness.app() as app:
        client = mqtt_peer.client
        await client.publish(topic(group, "NBIRTH"), births())
        await client.publish(
            topic(group, "DBIRTH", "D1"),
            encode_payload(
                [
                    Metric(
                        name="pressure", alias=7, datatype=DataType.Float, value=2.0, timestamp=T0
                    )
                ],
                timestamp=T0,
                seq=1,
            ),
        )
        # NDATA by alias only, with two values of one metric; DDATA without datatypes
        await client.publish(
            topic(group, "NDATA"), ndata(2, (1, T0 + 1, 1.75), (1, T0 + 2, 2.0), (2, T0 + 1, 4))
        )
        await client.publish(
            topic(group, "DDATA", "D1"),
            _ddata_without_datatype(seq=3, alias=7, value=2.5, timestamp=T0 + 5),
        )
        assert await harness.wait_samples(temp, 3) == [
            (T0, [1.5]),
            (T0 + 1, [1.75]),
            (T0 + 2, [2.0]),
        ]
        assert await harness.wait_samples(speed, 2) == [(T0, [-3.0]), (T0 + 1, [4.0])]
        assert await harness.wait_samples(pressure, 2) == [(T0, [2.0]), (T0 + 5, [2.5])]
        health = await app.wait_for(lambda h: h["samples"] == 7)
        assert health["ok"] and health["connected"] and health["bindings"] == 3
        assert health["dropped"] == {}


def _ddata_without_datatype(*, seq: int, alias: int, value: float, timestamp: int) -> bytes:
    """A DDATA metric with alias and float value but no datatype: the birth supplies it."""
    payload = Payload(timestamp=timestamp, seq=seq)
    metric = payload.metrics.add()
    metric.alias = alias
    metric.float_value = value
    metric.timestamp = timestamp
    return payload.SerializeToString()


async def test_seq_gap_requests_a_rebirth_and_keeps_the_values(harness, mqtt_peer, group):
    temp = harness.characteristic(f"sparkplug://{group}/N/temp")
    async with harness.app(reorder_timeout=0.3) as app:
        client = mqtt_peer.client
        await client.publish(topic(group, "NBIRTH"), births())
        await client.publish(topic(group, "NDATA"), ndata(1, (1, T0 + 1, 1.0)))
        await harness.wait_samples(temp, 2)
        start = len(mqtt_peer.messages)
        await client.publish(topic(group, "NDATA"), ndata(3, (1, T0 + 3, 3.0)))  # 2 is lost
        request = await mqtt_peer.wait_for_topic(topic(group, "NCMD"), start=start)
        assert is_rebirth_request(mqtt_peer.messages[request][1])
        assert [ts for ts, _ in await harness.wait_samples(temp, 3)] == [T0, T0 + 1, T0 + 3]
        health = await app.wait_for(lambda h: "seq_gap" in h["dropped"])
        assert health["dropped"]["seq_gap"] == 1


async def test_a_reordered_message_within_the_timeout_is_no_gap(harness, mqtt_peer, group):
    temp = harness.characteristic(f"sparkplug://{group}/N/temp")
    async with harness.app(reorder_timeout=5.0) as app:
        client = mqtt_peer.client
        await client.publish(topic(group, "NBIRTH"), births())
        await client.publish(topic(group, "NDATA"), ndata(2, (1, T0 + 2, 2.0)))
        await client.publish(topic(group, "NDATA"), ndata(1, (1, T0 + 1, 1.0)))
        samples = await harness.wait_samples(temp, 3)
        assert [ts for ts, _ in samples] == [T0, T0 + 1, T0 + 2]
        assert (await app.health())["dropped"] == {"unknown_tag": 1}  # line/speed: unbound
        assert not [t for t, _ in mqtt_peer.messages if t == topic(group, "NCMD")]


async def test_unknown_alias_and_data_before_birth_request_rebirths(harness, mqtt_peer, group):
    temp = harness.characteristic(f"sparkplug://{group}/N/temp")
    async with harness.app(rebirth_interval=0) as app:
        client = mqtt_peer.client
        await client.publish(topic(group, "NDATA"), ndata(5, (1, T0 + 1, 1.0)))  # no birth
        first = await mqtt_peer.wait_for_topic(topic(group, "NCMD"))
        assert is_rebirth_request(mqtt_peer.messages[first][1])

        await client.publish(topic(group, "NBIRTH"), births())
        await client.publish(topic(group, "NDATA"), ndata(1, (9, T0 + 1, 1.0), (1, T0 + 2, 2.0)))
        second = await mqtt_peer.wait_for_topic(topic(group, "NCMD"), start=first + 1)
        assert is_rebirth_request(mqtt_peer.messages[second][1])
        assert [ts for ts, _ in await harness.wait_samples(temp, 2)] == [T0, T0 + 2]
        health = await app.wait_for(lambda h: "unknown_alias" in h["dropped"])
        assert health["dropped"] == {"before_birth": 1, "unknown_alias": 1, "unknown_tag": 1}


async def test_deaths_mark_the_source_offline_and_drop_nothing_received(harness, mqtt_peer, group):
    temp = harness.characteristic(f"sparkplug://{group}/N/temp")
    pressure = harness.characteristic(f"sparkplug://{group}/N/D1/pressure")
    async with harness.app(rebirth_interval=0) as app:
        client = mqtt_peer.client
        host = app.provider.host
        await client.publish(topic(group, "NBIRTH"), births(bd_seq=4))
        await client.publish(
            topic(group, "DBIRTH", "D1"),
            encode_payload(
                [
                    Metric(
                        name="pressure", alias=7, datatype=DataType.Float, value=2.0, timestamp=T0
                    )
                ],
                timestamp=T0,
                seq=1,
            ),
        )
        await client.publish(topic(group, "DDATA", "D1"), ndata(2, (7, T0 + 1, 2.5)))
        await client.publish(topic(group, "DDEATH", "D1"), encode_payload(timestamp=T0, seq=3))
        await harness.wait_samples(pressure, 2)
        await _until(lambda: not host.is_online(group, "N", "D1"))
        assert host.is_online(group, "N")

        await client.publish(topic(group, "NDATA"), ndata(4, (1, T0 + 4, 4.0)))
        await client.publish(topic(group, "NDEATH"), encode_ndeath(3))  # stale: ignored
        await client.publish(topic(group, "NDEATH"), encode_ndeath(4))
        await _until(lambda: not host.is_online(group, "N"))
        assert [ts for ts, _ in await harness.wait_samples(temp, 2)] == [T0, T0 + 4]
        assert [ts for ts, _ in harness.samples(pressure)] == [T0, T0 + 1]
        stale = {t.uri: t.online for t in host.tags()}
        assert stale == {
            f"sparkplug://{group}/N/temp": False,
            f"sparkplug://{group}/N/line/speed": False,
            f"sparkplug://{group}/N/D1/pressure": False,
        }
        start = len(mqtt_peer.messages)
        await client.publish(topic(group, "NDATA"), ndata(5, (1, T0 + 5, 5.0)))  # after death
        await mqtt_peer.wait_for_topic(topic(group, "NCMD"), start=start)
        health = await app.wait_for(lambda h: "before_birth" in h["dropped"])
        assert health["dropped"] == {"before_birth": 1, "stale_death": 1, "unknown_tag": 1}


async def test_state_online_retained_and_offline_on_shutdown(harness, mqtt_peer):
    state_topic = f"spBv1.0/STATE/{harness.host_id}"
    async with harness.app():
        online = await mqtt_peer.wait_for_topic(state_topic)
        state = decode_state(mqtt_peer.messages[online][1])
        assert state.online and abs(state.timestamp - time.time() * 1000) < 10_000
        # a stale offline STATE (older timestamp) is ignored, a current one answered
        start = len(mqtt_peer.messages)
        await mqtt_peer.client.publish(state_topic, b'{"online": false, "timestamp": 1}', qos=1)
        await mqtt_peer.client.publish(
            state_topic,
            f'{{"online": false, "timestamp": {state.timestamp}}}'.encode(),
            qos=1,
        )
        states = []
        for _ in range(3):
            index = await mqtt_peer.wait_for_topic(state_topic, start=start)
            states.append(decode_state(mqtt_peer.messages[index][1]))
            start = index + 1
        assert states[-1] == state  # republished online with the same timestamp
    offline = await mqtt_peer.wait_for(
        lambda t, p: t == state_topic and not decode_state(p).online, start=start
    )
    assert decode_state(mqtt_peer.messages[offline][1]).timestamp == state.timestamp
    # retained: a new subscriber is told the host is offline
    async with aiomqtt.Client("127.0.0.1", int(harness.broker_url.rsplit(":", 1)[1])) as probe:
        await probe.subscribe(state_topic, qos=1)
        message = await anext(aiter(probe.messages))
        assert message.retain and not decode_state(message.payload).online


async def _until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        await asyncio.sleep(0.02)
