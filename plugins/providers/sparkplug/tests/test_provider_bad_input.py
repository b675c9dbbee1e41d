"""Bad input of every kind is counted by reason, logged once per source, and never stalls
the other tags (through the real app and Mosquitto)."""

import logging
import math

from prometheus_client import generate_latest

from openspc.metrics import REGISTRY
from openspc_sparkplug.codec import DataType, Metric, encode_nbirth, encode_payload

T0 = 1_767_225_600_000


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def test_bad_input_is_counted_logged_once_and_stalls_nothing(harness, mqtt_peer, group):
    good = harness.characteristic(f"sparkplug://{group}/N/good")
    text = harness.characteristic(f"sparkplug://{group}/N/text")
    harness.characteristic(f"sparkplug://{group}/N/ratio")
    plain = harness.characteristic(f"mqtt://{group}/plain#v")
    records = Records()
    logging.getLogger("openspc_sparkplug.provider").addHandler(records)
    try:
        async with harness.app(max_payload_bytes=2048, rebirth_interval=3600) as app:
            client = mqtt_peer.client
            nbirth = encode_nbirth(
                [
                    Metric(name="good", alias=0, datatype=DataType.Double, value=0.5, timestamp=T0),
                    Metric(name="text", alias=1, datatype=DataType.String, value="x", timestamp=T0),
                    Metric(name="ratio", alias=2, datatype=DataType.Float, value=0.1, timestamp=T0),
                ],
                bd_seq=0,
                timestamp=T0,
            )
            await client.publish(f"spBv1.0/{group}/NBIRTH/N", nbirth)
            for seq in range(1, 4):  # each message: one of every kind of bad value, one good
                ts = T0 + seq
                payload = encode_payload(
                    [
                        Metric(alias=0, datatype=DataType.Double, value=float(seq), timestamp=ts),
                        Metric(alias=1, datatype=DataType.String, value="bad", timestamp=ts),
                        Metric(alias=2, datatype=DataType.Float, value=math.nan, timestamp=ts),
                        Metric(alias=2, datatype=DataType.Float, value=math.inf, timestamp=ts + 1),
                        Metric(alias=9, datatype=DataType.Double, value=1.0, timestamp=ts),
                        Metric(name="nope", datatype=DataType.Double, value=1.0, timestamp=ts),
                    ],
                    timestamp=ts,
                    seq=seq,
                )
                await client.publish(f"spBv1.0/{group}/NDATA/N", payload)
            late = encode_payload(
                [Metric(alias=0, datatype=DataType.Double, value=9.0, timestamp=T0 + 9)], seq=2
            )
            await client.publish(f"spBv1.0/{group}/NDATA/N", late)  # seq 2 again: too late
            await client.publish(f"spBv1.0/{group}/NDATA/N", b"\xff\x00 not protobuf")
            await client.publish(f"spBv1.0/{group}/NDATA/N", b"\x08" * 4096)  # oversized
            for body in (b"{", b'{"v": "12"}', b'{"v": true}', b'{"v": NaN}', b'{"w": 1}'):
                await client.publish(f"{group}/plain", body, qos=1)
            await client.publish(f"{group}/plain", b'{"timestamp": 1767225600001, "v": 7}', qos=1)

            assert [v for _, v in await harness.wait_samples(good, 4)] == [
                [0.5],
                [1.0],
                [2.0],
                [3.0],
            ]
            assert await harness.wait_samples(plain, 1) == [(T0 + 1, [7.0])]
            # 4 good, the birth's ratio, the plain one
            health = await app.wait_for(lambda h: "oversized" in h["dropped"] and h["samples"] == 6)
            assert health["ok"]
            assert health["dropped"] == {
                "malformed": 2,  # undecodable protobuf, unparsable JSON
                "not_numeric": 4,  # the String metric (birth and 3 NDATA)
                "non_finite": 7,  # 3 x NaN, 3 x inf; one JSON NaN
                "unknown_alias": 6,  # alias 9 and the unknown name "nope", 3 times
                "oversized": 1,
                "out_of_order": 1,
                "wrong_type": 2,  # a JSON string, a JSON boolean
                "no_value": 1,  # the JSON document without the field
            }
            assert harness.samples(text) == []
            metrics = generate_latest(REGISTRY).decode()  # what /metrics serves
            assert 'openspc_mqtt_dropped_total{reason="non_finite"}' in metrics
            assert 'openspc_mqtt_connected{connection="sparkplug"} 1.0' in metrics
            assert 'openspc_mqtt_messages_total{connection="sparkplug"}' in metrics
    finally:
        logging.getLogger("openspc_sparkplug.provider").removeHandler(records)
    drops = [m for m in records.messages if m.startswith("dropped")]
    assert len(drops) == len(set(drops)) == 10  # once per source and reason
    assert any(f"from {group}/N: non_finite" in m for m in drops)
    assert any(f"from {group}/N: oversized" in m for m in drops)
    assert any(f"from mqtt://{group}/plain#v: wrong_type" in m for m in drops)
