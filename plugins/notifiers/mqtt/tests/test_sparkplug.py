"""Sparkplug mode end to end: the app on a real Mosquitto, its messages read back by an
independent subscriber and wire-format decoder."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from openspc.engine.pipeline import BatchEvents
from openspc.testing.builders import T0, Plant, events

from .conftest import ONLY_US, App, topic
from .wire import BOOLEAN, DOUBLE, INT32, INT64, STRING, WirePayload, parse, rebirth_command

FIELDS = {  # label: (alias offset, datatype)
    "Last Value": (0, DOUBLE),
    "Center Line": (1, DOUBLE),
    "UCL": (2, DOUBLE),
    "LCL": (3, DOUBLE),
    "Alarm": (4, BOOLEAN),
    "Alarm Severity": (5, STRING),
    "Unacknowledged": (6, INT32),
    "Last Violation": (7, STRING),
}
LAST_VALUE, CENTER_LINE, UCL, LCL, ALARM, SEVERITY, UNACKNOWLEDGED, LAST_VIOLATION = range(8)


def alias(characteristic_id: int, offset: int) -> int:
    return characteristic_id * 16 + offset


def folder(birth: WirePayload, characteristic_id: int, name: str) -> dict[str, Any]:
    """The values of one characteristic's metrics in a birth, by label."""
    metrics = birth.by_name()
    return {label: metrics[f"SPC/{characteristic_id} {name}/{label}"].value for label in FIELDS}


def test_nbirth_describes_every_characteristic(plant: Plant, recorder: Any, start_app: Any):
    bore = plant.characteristic("Bore/Diameter")  # CL 0, sigma 1: UCL 3, LCL -3
    length = plant.characteristic("Length", center=None)  # no limits yet
    spb = recorder("spBv1.0/#")
    start_app()

    birth = spb.decoded(spb.next_on(topic("NBIRTH")))

    assert "seq" in birth.fields and birth.seq == 0  # present on the wire, not defaulted
    assert "timestamp" in birth.fields
    metrics = birth.by_name()
    bd_seq, rebirth = metrics["bdSeq"], metrics["Node Control/Rebirth"]
    assert (bd_seq.alias, bd_seq.datatype, bd_seq.value) == (None, INT64, 0)
    assert (rebirth.alias, rebirth.datatype, rebirth.value) == (None, BOOLEAN, False)
    expected = {
        f"SPC/{cid} {name}/{label}": (alias(cid, offset), datatype)
        for cid, name in ((bore, "Bore-Diameter"), (length, "Length"))
        for label, (offset, datatype) in FIELDS.items()
    }
    described = {n: (m.alias, m.datatype) for n, m in metrics.items() if n.startswith("SPC/")}
    assert described == expected
    assert all("timestamp" in m.fields for m in birth.metrics)
    assert folder(birth, bore, "Bore-Diameter") == {
        "Last Value": None,
        "Center Line": 0.0,
        "UCL": 3.0,
        "LCL": -3.0,
        "Alarm": False,
        "Alarm Severity": "NONE",
        "Unacknowledged": 0,
        "Last Violation": None,
    }
    assert folder(birth, length, "Length")["Center Line"] is None


def test_ndata_on_violation_acknowledgment_sample_and_limits(
    plant: Plant, recorder: Any, start_app: Any
):
    cid = plant.characteristic()
    spb = recorder("spBv1.0/#")
    app: App = start_app()
    index = spb.next_on(topic("NBIRTH"))

    def next_ndata() -> WirePayload:
        nonlocal index
        index = spb.next_on(topic("NDATA"), start=index + 1)
        return spb.decoded(index)

    result = app.post_sample(cid, 5.0)  # beyond UCL 3: nelson.1
    [violation] = result["violations"]
    ndata = next_ndata()
    assert ndata.seq == 1
    assert all("name" not in m.fields for m in ndata.metrics)  # by alias only
    assert ndata.by_alias() == {
        alias(cid, LAST_VALUE): [5.0],
        alias(cid, LAST_VIOLATION): [f"nelson.1 sample {result['sample']['id']}"],
        alias(cid, UNACKNOWLEDGED): [1],
        alias(cid, ALARM): [True],
        alias(cid, SEVERITY): ["CRITICAL"],
    }
    [last_value] = [m for m in ndata.metrics if m.alias == alias(cid, LAST_VALUE)]
    sample_time = result["sample"]["timestamp"]
    assert last_value.fields["timestamp"] == _epoch_ms(sample_time)

    app.acknowledge(violation["id"])
    ndata = next_ndata()
    assert ndata.seq == 2
    assert ndata.by_alias() == {
        alias(cid, UNACKNOWLEDGED): [0],
        alias(cid, ALARM): [False],
        alias(cid, SEVERITY): ["NONE"],
    }

    app.post_sample(cid, 1.9)  # in control: only the last value changes
    ndata = next_ndata()
    assert (ndata.seq, ndata.by_alias()) == (3, {alias(cid, LAST_VALUE): [1.9]})

    r = app.client.put(
        f"/api/v1/characteristics/{cid}/limits",
        json={"center_line": 1.0, "sigma": 2.0},
        headers=app.headers,
    )
    assert r.status_code == 201, r.text
    ndata = next_ndata()
    assert ndata.seq == 4
    assert ndata.by_alias() == {
        alias(cid, CENTER_LINE): [1.0],
        alias(cid, UCL): [7.0],
        alias(cid, LCL): [-5.0],
    }


def test_runs_beside_the_ingesting_provider_on_a_connection_of_its_own(
    plant: Plant, recorder: Any, start_app: Any, monkeypatch: pytest.MonkeyPatch
):
    cid = plant.characteristic()
    spb = recorder("spBv1.0/#")
    monkeypatch.setenv("OPENSPC_SPARKPLUG_SHUTDOWN_GRACE", "0")  # it would wait for our node
    app: App = start_app(plugins=[*ONLY_US, "sparkplug"])

    result = app.post_sample(cid, 5.0)

    # in an NDATA, or in an NBIRTH if the provider asked for a rebirth (it may have come
    # online after the first NBIRTH)
    text = f"nelson.1 sample {result['sample']['id']}"
    spb.wait_for(
        lambda m: (
            m.topic in (topic("NDATA"), topic("NBIRTH"))
            and any(v.fields.get("string_value") == text for v in parse(m.payload).metrics)
        )
    )
    components = app.client.get("/health").json()["components"]
    publisher, provider = components["mqtt_publisher"], components["sparkplug"]
    assert publisher["connected"] and provider["ok"]
    assert publisher["client_id"] == "openspc-OpenSPC-SPC" != provider["client_id"]


def test_a_new_characteristic_is_announced_by_a_rebirth(
    plant: Plant, recorder: Any, start_app: Any
):
    plant.characteristic("first")
    spb = recorder("spBv1.0/#")
    app: App = start_app()
    first_birth = spb.next_on(topic("NBIRTH"))

    second = plant.characteristic("second")
    app.post_sample(second, 1.0)

    index = spb.wait_for(lambda m: m.topic.startswith("spBv1.0/"), start=first_birth + 1)
    assert spb.messages[index].topic == topic("NBIRTH")  # no NDATA with an unknown alias
    birth = spb.decoded(index)
    assert birth.seq == 0 and birth.by_name()["bdSeq"].value == 0  # same session
    assert folder(birth, second, "second")["Last Value"] == 1.0

    app.post_sample(second, 1.5)
    ndata = spb.decoded(spb.next_on(topic("NDATA"), start=index + 1))
    assert (ndata.seq, ndata.by_alias()) == (1, {alias(second, LAST_VALUE): [1.5]})


def test_rebirth_command_gives_a_birth_with_the_current_state(
    plant: Plant, recorder: Any, start_app: Any
):
    cid = plant.characteristic()
    spb = recorder("spBv1.0/#")
    app: App = start_app()
    spb.next_on(topic("NBIRTH"))
    result = app.post_sample(cid, -5.0)  # below LCL -3
    index = spb.next_on(topic("NDATA"))

    spb.publish(topic("NCMD"), rebirth_command(int(time.time() * 1000)))

    index = spb.next_on(topic("NBIRTH"), start=index + 1)
    birth = spb.decoded(index)
    assert birth.seq == 0 and birth.by_name()["bdSeq"].value == 0  # same connection
    assert folder(birth, cid, "c") == {
        "Last Value": -5.0,
        "Center Line": 0.0,
        "UCL": 3.0,
        "LCL": -3.0,
        "Alarm": True,
        "Alarm Severity": "CRITICAL",
        "Unacknowledged": 1,
        "Last Violation": f"nelson.1 sample {result['sample']['id']}",
    }
    app.post_sample(cid, -4.0)
    assert spb.decoded(spb.next_on(topic("NDATA"), start=index + 1)).seq == 1


def test_seq_counts_every_message_and_wraps_after_255(plant: Plant, recorder: Any, start_app: Any):
    cid = plant.characteristic()
    spb = recorder("spBv1.0/#")
    app: App = start_app()
    index = spb.next_on(topic("NBIRTH"))
    [stored] = app.client.portal.call(app.kernel.pipeline.submit, events(cid, [0.0]))
    sample = stored.sample  # as the pipeline publishes it

    seqs = []
    for i in range(300):  # one batch at a time, each its own NDATA
        if i:  # later samples of the same shape go straight to the notifiers (no commits)
            later = {**sample, "timestamp": (T0 + timedelta(seconds=i)).isoformat()}
            app.client.portal.call(app.kernel.publish, BatchEvents(samples=[later]))
        index = spb.next_on(topic("NDATA"), start=index + 1)
        seqs.append(spb.decoded(index).seq)

    assert seqs == [k % 256 for k in range(1, 301)]


def _epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)
