from collections import Counter

import pytest

from openspc_sparkplug.codec import (
    NODE_REBIRTH,
    DataType,
    Metric,
    decode_payload,
    encode_nbirth,
    encode_ndeath,
    encode_payload,
)
from openspc_sparkplug.drops import DropReason
from openspc_sparkplug.host import HostStep, SparkplugHost, TagInfo, TagValue
from openspc_sparkplug.sparkplug_b_pb2 import Payload
from openspc_sparkplug.topics import MessageType, Topic

T = 1_700_000_000_000  # ms
NOW = T / 1000  # s
TORQUE = "sparkplug://G/N/Cell 1/Torque"
COUNT = "sparkplug://G/N/Count"


def topic(kind: str, device: str | None = None) -> str:
    return str(Topic("G", MessageType(kind), "N", device))


def double(alias: int, value: float | None, **fields) -> Metric:
    return Metric(alias=alias, datatype=DataType.Double, value=value, **fields)


BIRTH = [
    Metric(name="Cell 1/Torque", alias=0, datatype=DataType.Double, value=12.0),
    Metric(name="Count", alias=1, datatype=DataType.Int8, value=-1),
]


def nbirth(metrics=BIRTH, *, bd_seq: int = 0, seq: int = 0, timestamp: int = T) -> bytes:
    return encode_nbirth(metrics, bd_seq=bd_seq, timestamp=timestamp, seq=seq)


def data(seq: int, *metrics: Metric, timestamp: int = T) -> bytes:
    return encode_payload(metrics, timestamp=timestamp, seq=seq)


def ndata(host: SparkplugHost, seq: int, value: float, now: float = NOW):
    return host.receive(topic("NDATA"), data(seq, double(0, value, timestamp=T + seq)), now)


def born(**settings) -> SparkplugHost:
    host = SparkplugHost(**settings)
    host.receive(topic("NBIRTH"), nbirth(), NOW)
    return host


def rebirth_targets(step: HostStep) -> list[tuple[str, str | None]]:
    return [
        (request.topic, decode_payload(request.payload).metrics[0].name)
        for request in step.rebirths
    ]


# --- births and aliases --------------------------------------------------------------------


def test_birth_outputs_current_values_and_learns_aliases():
    host = SparkplugHost()
    step = host.receive(topic("NBIRTH"), nbirth(), NOW)
    assert step.values == [TagValue(TORQUE, T, 12.0, False), TagValue(COUNT, T, -1.0, False)]
    assert not step.drops and not step.rebirths
    step = host.receive(topic("NDATA"), data(1, double(0, 12.5)), NOW)
    assert step.values == [TagValue(TORQUE, T, 12.5, False)]
    assert host.is_online("G", "N")


def test_data_without_datatype_uses_the_birth_datatype():
    host = born()
    payload = Payload(timestamp=T, seq=1)
    payload.metrics.add(alias=1, int_value=0xFFFFFFFE)  # Int8 -2 as the Java reference sends it
    step = host.receive(topic("NDATA"), payload.SerializeToString(), NOW)
    assert step.values == [TagValue(COUNT, T, -2.0, False)]


def test_data_by_name_without_alias():
    host = born()
    step = host.receive(
        topic("NDATA"), data(1, Metric(name="Count", datatype=DataType.Int8, value=3)), NOW
    )
    assert step.values == [TagValue(COUNT, T, 3.0, False)]


def test_every_birth_replaces_the_alias_map():
    host = born()
    rebirth = [Metric(name="Pressure", alias=0, datatype=DataType.Double, value=6.0)]
    host.receive(topic("NBIRTH"), nbirth(rebirth, bd_seq=1), NOW)
    step = host.receive(topic("NDATA"), data(1, double(0, 6.1), double(1, 9.0)), NOW)
    assert step.values == [TagValue("sparkplug://G/N/Pressure", T, 6.1, False)]
    assert step.drops == Counter({DropReason.UNKNOWN_ALIAS: 1})


def test_session_plumbing_metrics_are_not_output():
    host = SparkplugHost()
    step = host.receive(topic("NBIRTH"), nbirth([]), NOW)  # only bdSeq + Node Control/Rebirth
    assert step.values == [] and not step.drops
    assert host.tags() == []


def test_device_birth_data_and_death():
    host = born()
    dbirth = encode_payload(
        [Metric(name="Temp", alias=10, datatype=DataType.Float, value=180.5)], timestamp=T, seq=1
    )
    step = host.receive(topic("DBIRTH", "PLC"), dbirth, NOW)
    assert step.values == [TagValue("sparkplug://G/N/PLC/Temp", T, 180.5, False)]
    step = host.receive(
        topic("DDATA", "PLC"), data(2, Metric(alias=10, datatype=DataType.Float, value=181.0)), NOW
    )
    assert step.values == [TagValue("sparkplug://G/N/PLC/Temp", T, 181.0, False)]
    host.receive(topic("DDEATH", "PLC"), encode_payload(timestamp=T, seq=3), NOW)
    assert host.is_online("G", "N") and not host.is_online("G", "N", "PLC")
    step = host.receive(topic("DDATA", "PLC"), data(4, double(10, 1.0)), NOW)
    assert step.drops == Counter({DropReason.BEFORE_BIRTH: 1})
    assert rebirth_targets(step) == [("spBv1.0/G/NCMD/N", NODE_REBIRTH)]


def test_device_data_of_an_unknown_device_requests_rebirth():
    host = born()
    step = host.receive(topic("DDATA", "Ghost"), data(1, double(0, 1.0)), NOW)
    assert step.drops == Counter({DropReason.BEFORE_BIRTH: 1})
    assert len(step.rebirths) == 1


def test_device_metric_shadowed_by_a_node_metric_is_dropped():
    node_metrics = [Metric(name="PLC/Temp", alias=0, datatype=DataType.Double, value=1.0)]
    host = SparkplugHost()
    host.receive(topic("NBIRTH"), nbirth(node_metrics), NOW)
    dbirth = encode_payload(
        [Metric(name="Temp", alias=5, datatype=DataType.Double, value=2.0)], timestamp=T, seq=1
    )
    step = host.receive(topic("DBIRTH", "PLC"), dbirth, NOW)
    assert step.values == []
    assert step.drops == Counter({DropReason.SHADOWED_TAG: 1})
    assert [tag.uri for tag in host.tags()] == ["sparkplug://G/N/PLC/Temp"]  # the node metric


# --- rebirth decisions ---------------------------------------------------------------------


def test_data_before_birth_requests_rebirth():
    host = SparkplugHost()
    step = host.receive(topic("NDATA"), data(5, double(0, 1.0)), NOW)
    assert step.values == []
    assert step.drops == Counter({DropReason.BEFORE_BIRTH: 1})
    assert rebirth_targets(step) == [("spBv1.0/G/NCMD/N", NODE_REBIRTH)]
    request = step.rebirths[0]
    decoded = decode_payload(request.payload)
    assert decoded.seq is None and decoded.metrics[0].value == 1.0
    assert request.timestamp == T


def test_unknown_alias_requests_rebirth_rate_limited():
    host = born(rebirth_interval=5.0)
    first = host.receive(topic("NDATA"), data(1, double(0, 1.0), double(42, 1.0)), NOW)
    assert first.values == [TagValue(TORQUE, T, 1.0, False)]  # the known value still counts
    assert first.drops == Counter({DropReason.UNKNOWN_ALIAS: 1})
    assert len(first.rebirths) == 1
    second = host.receive(topic("NDATA"), data(2, double(42, 1.0)), NOW + 4.9)
    assert second.rebirths == [] and second.drops == Counter({DropReason.UNKNOWN_ALIAS: 1})
    third = host.receive(topic("NDATA"), data(3, double(42, 1.0)), NOW + 5.0)
    assert len(third.rebirths) == 1


# --- sequence numbers and reordering -------------------------------------------------------


def test_gap_filled_within_the_reorder_timeout_releases_in_order():
    host = born(reorder_timeout=2.0)
    assert ndata(host, 1, 1.0).values == [TagValue(TORQUE, T + 1, 1.0, False)]
    held = ndata(host, 3, 3.0, NOW + 0.1)
    assert held.values == [] and not held.drops
    assert host.next_deadline() == pytest.approx(NOW + 2.1)
    assert host.tick(NOW + 1.0).values == []  # not yet due
    filled = ndata(host, 2, 2.0, NOW + 1.5)
    assert [v.value for v in filled.values] == [2.0, 3.0]
    assert not filled.rebirths and not filled.drops
    assert host.next_deadline() is None
    assert ndata(host, 4, 4.0).values[0].value == 4.0


def test_gap_not_filled_releases_held_messages_and_requests_rebirth():
    host = born(reorder_timeout=2.0)
    ndata(host, 1, 1.0)
    ndata(host, 3, 3.0, NOW + 0.1)
    ndata(host, 4, 4.0, NOW + 0.2)
    step = host.tick(NOW + 2.1)
    assert [v.value for v in step.values] == [3.0, 4.0]
    assert step.drops == Counter({DropReason.SEQ_GAP: 1})
    assert rebirth_targets(step) == [("spBv1.0/G/NCMD/N", NODE_REBIRTH)]
    assert host.next_deadline() is None
    assert ndata(host, 5, 5.0, NOW + 2.2).values[0].value == 5.0
    assert host.drops[DropReason.SEQ_GAP] == 1


def test_a_second_gap_restarts_the_wait():
    host = born(reorder_timeout=2.0)
    ndata(host, 2, 2.0, NOW)
    ndata(host, 4, 4.0, NOW)
    step = ndata(host, 1, 1.0, NOW + 1.5)  # fills the first gap only
    assert [v.value for v in step.values] == [1.0, 2.0]
    assert host.next_deadline() == pytest.approx(NOW + 3.5)
    assert host.tick(NOW + 3.0).values == []
    assert [v.value for v in host.tick(NOW + 3.5).values] == [4.0]


def test_zero_reorder_timeout_gives_up_at_once():
    host = born(reorder_timeout=0.0)
    step = ndata(host, 2, 2.0)
    assert [v.value for v in step.values] == [2.0]
    assert step.drops == Counter({DropReason.SEQ_GAP: 1}) and len(step.rebirths) == 1


def test_too_many_held_messages_give_up_the_gap():
    host = born(reorder_timeout=60.0, max_held=3)
    for seq in (2, 3, 4):
        assert ndata(host, seq, float(seq)).values == []
    step = ndata(host, 5, 5.0)
    assert [v.value for v in step.values] == [2.0, 3.0, 4.0, 5.0]
    assert len(step.rebirths) == 1


def test_seq_wraps_from_255_to_0():
    host = SparkplugHost()
    host.receive(topic("NBIRTH"), nbirth(seq=254), NOW)
    values = [ndata(host, seq, float(seq)).values for seq in (255, 0, 1)]
    assert [v[0].value for v in values] == [255.0, 0.0, 1.0]
    assert not host.drops


def test_late_or_repeated_seq_is_dropped():
    host = born()
    ndata(host, 1, 1.0)
    step = ndata(host, 1, 1.0)
    assert step.values == [] and step.drops == Counter({DropReason.OUT_OF_ORDER: 1})
    assert not step.rebirths


def test_new_birth_discards_messages_held_from_the_old_session():
    host = born()
    ndata(host, 3, 3.0)
    step = host.receive(topic("NBIRTH"), nbirth(bd_seq=1, timestamp=T + 10), NOW)
    assert step.drops == Counter({DropReason.OUT_OF_ORDER: 1})
    assert host.next_deadline() is None
    assert ndata(host, 1, 1.5).values[0].value == 1.5


def test_dbirth_and_ddeath_are_sequenced_too():
    host = born()
    dbirth = encode_payload(
        [Metric(name="Temp", alias=10, datatype=DataType.Double, value=1.0)], timestamp=T, seq=1
    )
    ddata = data(2, double(10, 2.0))
    assert host.receive(topic("DDATA", "PLC"), ddata, NOW).values == []  # held: seq 1 missing
    step = host.receive(topic("DBIRTH", "PLC"), dbirth, NOW)
    assert [v.value for v in step.values] == [1.0, 2.0]
    assert not step.drops and not step.rebirths


# --- deaths --------------------------------------------------------------------------------


def test_stale_ndeath_is_ignored():
    host = SparkplugHost()
    host.receive(topic("NBIRTH"), nbirth(bd_seq=5), NOW)
    step = host.receive(topic("NDEATH"), encode_ndeath(4), NOW)
    assert step.drops == Counter({DropReason.STALE_DEATH: 1})
    assert host.is_online("G", "N")
    host.receive(topic("NDEATH"), encode_ndeath(5), NOW)
    assert not host.is_online("G", "N")


def test_death_marks_stale_and_keeps_what_was_received():
    host = born()
    ndata(host, 1, 12.5)
    host.receive(topic("NDEATH"), encode_ndeath(0), NOW)
    assert not host.is_online("G", "N")
    assert sorted(host.tags(), key=lambda t: t.uri) == [
        TagInfo(TORQUE, DataType.Double, False, T + 1, 12.5),
        TagInfo(COUNT, DataType.Int8, False, T, -1.0),
    ]
    step = ndata(host, 2, 13.0)
    assert step.drops == Counter({DropReason.BEFORE_BIRTH: 1}) and len(step.rebirths) == 1
    host.receive(topic("NBIRTH"), nbirth(bd_seq=1), NOW)
    assert all(tag.online for tag in host.tags())


def test_ndeath_processes_held_messages_first():
    host = born()
    ndata(host, 2, 2.0)
    step = host.receive(topic("NDEATH"), encode_ndeath(0), NOW)
    assert [v.value for v in step.values] == [2.0]
    assert step.drops == Counter({DropReason.SEQ_GAP: 1}) and not step.rebirths


def test_nbirth_takes_devices_offline_until_their_dbirth():
    host = born()
    dbirth = encode_payload(
        [Metric(name="Temp", alias=10, datatype=DataType.Double, value=1.0)], timestamp=T, seq=1
    )
    host.receive(topic("DBIRTH", "PLC"), dbirth, NOW)
    host.receive(topic("NBIRTH"), nbirth(bd_seq=1), NOW)
    assert not host.is_online("G", "N", "PLC")
    step = host.receive(topic("DDATA", "PLC"), data(1, double(10, 2.0)), NOW)
    assert step.drops == Counter({DropReason.BEFORE_BIRTH: 1})


# --- values --------------------------------------------------------------------------------


def test_historical_values_keep_their_timestamps_and_do_not_become_current():
    host = born()
    step = host.receive(
        topic("NDATA"),
        data(
            1,
            double(0, 10.0, timestamp=T - 3000, is_historical=True),
            double(0, 11.0, timestamp=T - 2000, is_historical=True),
        ),
        NOW,
    )
    assert step.values == [
        TagValue(TORQUE, T - 3000, 10.0, True),
        TagValue(TORQUE, T - 2000, 11.0, True),
    ]
    torque = next(tag for tag in host.tags() if tag.uri == TORQUE)
    assert (torque.timestamp, torque.value) == (T, 12.0)  # still the birth value


def test_several_values_of_one_metric_in_one_message():
    host = born()
    step = host.receive(
        topic("NDATA"), data(1, *(double(0, float(i), timestamp=T + i) for i in range(3))), NOW
    )
    assert [(v.timestamp, v.value) for v in step.values] == [(T, 0.0), (T + 1, 1.0), (T + 2, 2.0)]


@pytest.mark.parametrize(
    ("metric", "reason"),
    [
        (double(0, 1.0, quality=0), DropReason.BAD_QUALITY),
        (double(0, 1.0, quality=500), DropReason.BAD_QUALITY),
        (double(0, float("nan")), DropReason.NON_FINITE),
        (double(0, float("inf")), DropReason.NON_FINITE),
        (double(0, None), DropReason.NULL),
        (Metric(alias=0, datatype=DataType.String, value="x"), DropReason.NOT_NUMERIC),
    ],
)
def test_unusable_values_are_counted_not_output(metric, reason):
    host = born()
    step = host.receive(topic("NDATA"), data(1, metric, double(0, 2.0)), NOW)
    assert step.values == [TagValue(TORQUE, T, 2.0, False)]
    assert step.drops == Counter({reason: 1})
    assert not step.rebirths


def test_good_quality_is_a_measurement():
    host = born()
    step = host.receive(topic("NDATA"), data(1, double(0, 1.0, quality=192)), NOW)
    assert step.values == [TagValue(TORQUE, T, 1.0, False)]


def test_rebirth_repeating_the_last_value_is_a_duplicate():
    host = born()
    step = host.receive(topic("NBIRTH"), nbirth(bd_seq=0), NOW)
    assert step.values == []
    assert step.drops == Counter({DropReason.DUPLICATE: 2})


def test_value_without_any_timestamp_gets_now():
    host = born()
    step = host.receive(topic("NDATA"), encode_payload([double(0, 3.0)], seq=1), NOW + 1.5)
    assert step.values == [TagValue(TORQUE, T + 1500, 3.0, False)]


def test_malformed_input_is_counted():
    host = born()
    assert host.receive("not/sparkplug", b"", NOW).drops == Counter({DropReason.MALFORMED: 1})
    assert host.receive(topic("NDATA"), b"\xff\xff", NOW).drops == Counter(
        {DropReason.MALFORMED: 1}
    )
    no_seq = encode_payload([double(0, 1.0)], timestamp=T)
    assert host.receive(topic("NDATA"), no_seq, NOW).drops == Counter({DropReason.MALFORMED: 1})
    assert host.drops[DropReason.MALFORMED] == 3


def test_commands_and_state_are_not_data():
    host = born()
    for kind_topic in (topic("NCMD"), "spBv1.0/STATE/scada"):
        step = host.receive(kind_topic, b'{"online": true}', NOW)
        assert step.values == [] and not step.drops and not step.rebirths
