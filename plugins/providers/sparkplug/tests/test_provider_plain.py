"""Plain MQTT topics, subgroups, bindings and redelivery, through the real app and Mosquitto."""

import asyncio
import json

from openspc_sparkplug.codec import DataType, Metric, encode_nbirth, encode_payload

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in ms


def document(timestamp: int, **fields: object) -> bytes:
    return json.dumps({"timestamp": timestamp, **fields}).encode()


async def test_numeric_and_json_payloads(db_harness, mqtt_peer, group):
    harness = db_harness
    numeric = harness.characteristic(f"mqtt://{group}/t1")
    temp = harness.characteristic(f"mqtt://{group}/t2#data.temp")
    pressure = harness.characteristic(f"mqtt://{group}/t2#pressure")
    async with harness.app() as app:
        client = mqtt_peer.client
        await client.publish(f"{group}/t1", b"12.5", qos=1)
        await client.publish(f"{group}/t1", b" 13 ", qos=1)
        await client.publish(f"{group}/t2", document(T0 + 1, data={"temp": 1.5}, pressure=3), qos=1)
        await client.publish(
            f"{group}/t2",
            json.dumps({"timestamp": "2026-01-01T00:00:00.002Z", "data": {"temp": 1.25}}).encode(),
            qos=0,
        )
        assert [v for _, v in await harness.wait_samples(numeric, 2)] == [[12.5], [13.0]]
        assert await harness.wait_samples(temp, 2) == [(T0 + 1, [1.5]), (T0 + 2, [1.25])]
        assert harness.samples(pressure) == [(T0 + 1, [3.0])]
        health = await app.wait_for(lambda h: h["samples"] == 5)
        assert health["dropped"] == {"no_value": 1}  # the second document has no pressure


async def test_subgroups_of_consecutive_values_timestamped_with_the_last(harness, mqtt_peer, group):
    cid = harness.characteristic(f"mqtt://{group}/x#v", n=3)
    async with harness.app() as app:
        for i in range(7):
            await mqtt_peer.client.publish(f"{group}/x", document(T0 + i, v=i), qos=1)
        assert await harness.wait_samples(cid, 2) == [
            (T0 + 2, [0.0, 1.0, 2.0]),
            (T0 + 5, [3.0, 4.0, 5.0]),
        ]
        await app.wait_for(lambda h: h["partial_subgroups"] == 1 and h["samples"] == 2)


async def test_a_held_partial_subgroup_is_redelivered_after_a_restart(harness, mqtt_peer, group):
    """Its messages stay unacknowledged until the subgroup is committed: a restart in between
    loses nothing (persistent session), and the redelivered values complete the subgroup."""
    cid = harness.characteristic(f"mqtt://{group}/x#v", n=3)
    async with harness.app() as app:
        for i in range(2):
            await mqtt_peer.client.publish(f"{group}/x", document(T0 + i, v=i), qos=1)
        await app.wait_for(lambda h: h["partial_subgroups"] == 1)
    async with harness.app() as app:
        await app.wait_for(lambda h: h["partial_subgroups"] == 1)  # redelivered
        await mqtt_peer.client.publish(f"{group}/x", document(T0 + 2, v=2), qos=1)
        assert await harness.wait_samples(cid, 1) == [(T0 + 2, [0.0, 1.0, 2.0])]
    async with harness.app() as app:  # all acknowledged now: nothing comes back
        await mqtt_peer.client.publish(f"{group}/x", document(T0 + 3, v=3), qos=1)
        await app.wait_for(lambda h: h["partial_subgroups"] == 1)
        await asyncio.sleep(0.3)
        health = await app.health()
        assert health["partial_subgroups"] == 1 and health["dropped"] == {}


async def test_a_partial_subgroup_is_discarded_after_the_time_limit(harness, mqtt_peer, group):
    cid = harness.characteristic(f"mqtt://{group}/x#v", n=2)
    async with harness.app(subgroup_time_limit=0.3) as app:
        await mqtt_peer.client.publish(f"{group}/x", document(T0, v=0), qos=1)
        health = await app.wait_for(lambda h: "partial_subgroup" in h["dropped"])
        assert health["dropped"] == {"partial_subgroup": 1} and health["partial_subgroups"] == 0
        # values further apart (by timestamp) than the limit are not one subgroup either
        await mqtt_peer.client.publish(f"{group}/x", document(T0 + 1000, v=1), qos=1)
        await mqtt_peer.client.publish(f"{group}/x", document(T0 + 2000, v=2), qos=1)
        await mqtt_peer.client.publish(f"{group}/x", document(T0 + 2100, v=3), qos=1)
        assert await harness.wait_samples(cid, 1) == [(T0 + 2100, [2.0, 3.0])]
        assert (await app.health())["dropped"] == {"partial_subgroup": 2}
    async with harness.app() as app:  # the discarded values were acknowledged
        await mqtt_peer.client.publish(f"{group}/x", document(T0 + 3000, v=4), qos=1)
        await app.wait_for(lambda h: h["partial_subgroups"] == 1)
        await asyncio.sleep(0.3)
        assert (await app.health())["partial_subgroups"] == 1
        assert len(harness.samples(cid)) == 1


async def test_bindings_change_without_a_restart(harness, mqtt_peer, group):
    first = harness.characteristic(f"mqtt://{group}/a")
    async with harness.app(bindings_refresh=0.2) as app:
        second = harness.characteristic(f"mqtt://{group}/b")
        await app.wait_for(lambda h: h["bindings"] == 2)
        harness.bind(first, None)  # unbound: its topic is unsubscribed
        await app.wait_for(lambda h: h["bindings"] == 1)
        await mqtt_peer.client.publish(f"{group}/a", document(T0, v=1), qos=1)
        await mqtt_peer.client.publish(f"{group}/b", b"2.5", qos=1)
        await harness.wait_samples(second, 1)
        assert harness.samples(first) == []


async def test_an_unknown_sparkplug_tag_reloads_the_bindings(harness, mqtt_peer, group):
    nbirth = encode_nbirth(
        [Metric(name="m", alias=0, datatype=DataType.Double, value=1.0, timestamp=T0)],
        bd_seq=0,
        timestamp=T0,
    )
    async with harness.app(bindings_refresh=3600, unknown_tag_refresh=0.1) as app:
        await mqtt_peer.client.publish(f"spBv1.0/{group}/NBIRTH/N", nbirth)
        await app.wait_for(lambda h: h["dropped"].get("unknown_tag") == 1)
        cid = harness.characteristic(f"sparkplug://{group}/N/m")
        for seq in range(1, 20):  # an unknown value reloads the map (at most every 0.1 s)
            metric = Metric(alias=0, datatype=DataType.Double, value=seq, timestamp=T0 + seq)
            payload = encode_payload([metric], timestamp=T0 + seq, seq=seq)
            await mqtt_peer.client.publish(f"spBv1.0/{group}/NDATA/N", payload)
            await asyncio.sleep(0.15)
            if harness.samples(cid):
                break
        assert harness.samples(cid)


async def test_redelivered_values_are_stored_once(harness, mqtt_peer, group):
    cid = harness.characteristic(f"mqtt://{group}/x#v")
    async with harness.app() as app:
        for _ in range(2):  # the same message twice (a publisher's retry), then a new one
            await mqtt_peer.client.publish(f"{group}/x", document(T0, v=1.0), qos=1)
        await mqtt_peer.client.publish(f"{group}/x", document(T0 + 1, v=2.0), qos=1)
        health = await app.wait_for(lambda h: h["samples"] + h["dropped"].get("duplicate", 0) == 3)
        assert health["dropped"] == {"duplicate": 1}
    async with harness.app() as app:  # redelivered to a new session: still once
        await mqtt_peer.client.publish(f"{group}/x", document(T0, v=1.0), qos=1)
        await app.wait_for(lambda h: h["dropped"].get("duplicate") == 1)
    assert harness.samples(cid) == [(T0, [1.0]), (T0 + 1, [2.0])]
