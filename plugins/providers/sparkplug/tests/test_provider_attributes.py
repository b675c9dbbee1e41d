"""Attribute and EWMA charts fed by tags, through the real app and Mosquitto: a p chart from
a count metric and a size metric of one Sparkplug device, a c chart with a fixed size and a
p chart with a size field on plain MQTT (counts stored as samples, violations raised, bad
counts and sizes counted as drops), and an EWMA assembling subgroups."""

import json
from datetime import UTC

from sqlalchemy import select

from openspc.db.models import Sample, Violation
from openspc_sparkplug.codec import DataType, Metric, encode_nbirth, encode_payload

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in ms


def counts(harness, characteristic_id):
    """``(ms, count, size, value, z is set, rule keys)`` of the stored samples, by time."""
    with harness.plant.engine.connect() as conn:
        samples = conn.execute(
            select(Sample)
            .where(Sample.characteristic_id == characteristic_id)
            .order_by(Sample.timestamp)
        ).all()
        fired = {}
        for sample_id, key in conn.execute(
            select(Violation.sample_id, Violation.rule_key).where(
                Violation.characteristic_id == characteristic_id
            )
        ):
            fired.setdefault(sample_id, []).append(key)
    return [
        (
            round(s.timestamp.replace(tzinfo=UTC).timestamp() * 1000),
            s.count,
            s.size,
            round(s.value, 4),
            sorted(fired.get(s.id, [])),
        )
        for s in samples
    ]


async def wait_counts(harness, app, characteristic_id, n):
    await app.wait_for(lambda _: len(counts(harness, characteristic_id)) >= n)
    return counts(harness, characteristic_id)


def quality(seq, timestamp, *metrics):
    """DDATA of the vision device: ``(alias, value)`` metrics at ``timestamp``."""
    return encode_payload(
        [
            Metric(alias=alias, datatype=DataType.Double, value=value, timestamp=timestamp)
            for alias, value in metrics
        ],
        timestamp=timestamp,
        seq=seq,
    )


async def test_a_p_chart_from_a_count_metric_and_a_size_metric(harness, mqtt_peer, group):
    """p̄ = 0.1 in samples of 50 (UCL 0.227): a count pairs with the size of its own
    message, or, when the message has none (report by exception), the latest size."""
    cid = harness.plant.characteristic("rejects", "p", 50, center=0.1)
    harness.bind(cid, f"sparkplug://{group}/N/Vision/Quality/Rejects?size=Inspected")
    rejects, inspected = 1, 2
    async with harness.app() as app:
        client = mqtt_peer.client
        await client.publish(f"spBv1.0/{group}/NBIRTH/N", encode_nbirth([], bd_seq=0, timestamp=T0))
        await client.publish(
            f"spBv1.0/{group}/DBIRTH/N/Vision",
            encode_payload(
                [
                    Metric(name="Quality/Rejects", alias=rejects, datatype=DataType.Int32, value=5,
                           timestamp=T0),
                    Metric(name="Quality/Inspected", alias=inspected, datatype=DataType.Int32,
                           value=50, timestamp=T0),
                ],
                timestamp=T0,
                seq=1,
            ),
        )  # fmt: skip
        device = f"spBv1.0/{group}/DDATA/N/Vision"
        await client.publish(device, quality(2, T0 + 1, (inspected, 40), (rejects, 4)))
        await client.publish(device, quality(3, T0 + 2, (rejects, 30), (inspected, 50)))
        await client.publish(device, quality(4, T0 + 3, (rejects, 3)))  # size unchanged: 50
        await client.publish(device, quality(5, T0 + 4, (rejects, 2.5)))  # not a count
        await client.publish(device, quality(6, T0 + 5, (rejects, 59), (inspected, 60)))
        await client.publish(device, quality(7, T0 + 6, (rejects, 61)))  # more than 60 items
        await client.publish(device, quality(8, T0 + 7, (rejects, 1), (inspected, 0)))
        stored = await wait_counts(harness, app, cid, 5)
        health = await app.wait_for(lambda h: h["samples"] == 5)
    assert stored == [
        (T0, 5, 50.0, 0.1, []),
        (T0 + 1, 4, 40.0, 0.1, []),
        (T0 + 2, 30, 50.0, 0.6, ["nelson.1"]),
        (T0 + 3, 3, 50.0, 0.06, []),
        (T0 + 5, 59, 60.0, 0.9833, ["nelson.1"]),
    ]
    assert health["dropped"] == {"bad_count": 2, "bad_size": 1}  # the size is no unknown tag


async def test_a_c_chart_with_a_fixed_size_on_plain_mqtt(harness, mqtt_peer, group):
    """c̄ = 4 nonconformities per unit (UCL 10): each value is one sample of one unit."""
    cid = harness.plant.characteristic("boards", "c", 1, center=4.0)
    harness.bind(cid, f"mqtt://{group}/boards#defects")
    async with harness.app() as app:
        for i, defects in enumerate([3, 12, 2.5, -1, "x", 5]):
            payload = json.dumps({"timestamp": T0 + i, "defects": defects}).encode()
            await mqtt_peer.client.publish(f"{group}/boards", payload, qos=1)
        stored = await wait_counts(harness, app, cid, 3)
        health = await app.wait_for(lambda h: h["samples"] == 3)
    assert stored == [
        (T0, 3, 1.0, 3.0, []),
        (T0 + 1, 12, 1.0, 12.0, ["nelson.1"]),
        (T0 + 5, 5, 1.0, 5.0, []),
    ]
    assert health["dropped"] == {"bad_count": 2, "wrong_type": 1}
    assert health["partial_subgroups"] == 0


async def test_a_p_chart_with_a_size_field_on_plain_mqtt(harness, mqtt_peer, group):
    cid = harness.plant.characteristic("cans", "p", 50, center=0.2)
    harness.bind(cid, f"mqtt://{group}/cans#d?size=n")
    documents = [{"d": 10, "n": 50}, {"d": 5}, {"d": 30, "n": 40}, {"d": 3, "n": 2}, {"d": 8}]
    async with harness.app() as app:
        for i, document in enumerate(documents):
            payload = json.dumps({"timestamp": T0 + i, **document}).encode()
            await mqtt_peer.client.publish(f"{group}/cans", payload, qos=1)
        stored = await wait_counts(harness, app, cid, 2)
        health = await app.wait_for(lambda h: h["samples"] == 2 and sum(h["dropped"].values()) == 3)
    assert stored == [(T0, 10, 50.0, 0.2, []), (T0 + 2, 30, 40.0, 0.75, ["nelson.1"])]
    assert health["dropped"] == {"bad_size": 2, "bad_count": 1}  # no n twice; 3 of 2


async def test_an_ewma_tag_assembles_subgroups_like_a_variables_chart(harness, mqtt_peer, group):
    cid = harness.plant.characteristic(
        "ewma", "ewma", 2, center=10.0, sigma=1.0, chart_params={"lambda": 0.5}
    )
    harness.bind(cid, f"mqtt://{group}/x#v")
    async with harness.app() as app:
        for i, v in enumerate([11.0, 13.0, 9.0, 9.0, 10.0]):
            payload = json.dumps({"timestamp": T0 + i, "v": v}).encode()
            await mqtt_peer.client.publish(f"{group}/x", payload, qos=1)
        assert await harness.wait_samples(cid, 2) == [
            (T0 + 1, [11.0, 13.0]),
            (T0 + 3, [9.0, 9.0]),
        ]
        await app.wait_for(lambda h: h["partial_subgroups"] == 1)
    with harness.plant.engine.connect() as conn:
        statistics = conn.execute(
            select(Sample.statistic).where(Sample.characteristic_id == cid).order_by(Sample.id)
        ).scalars()
        assert list(statistics) == [11.0, 10.0]  # 0.5·12 + 0.5·10, then 0.5·9 + 0.5·11
