"""The connection: the NDEATH will when it drops abruptly, reconnection with a new bdSeq, the
node's own NDEATH on a graceful stop, a broker that cannot be reached, and no connection at
all unless enabled."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from openspc.app import create_app
from openspc.testing.builders import Plant
from openspc.testing.mosquitto import MosquittoBroker, free_port

from .conftest import ONLY_US, App, Proxy, topic
from .wire import INT64


def bd_seq(recorder: Any, index: int) -> int:
    return int(recorder.decoded(index).by_name()["bdSeq"].value)


def test_abrupt_drop_publishes_the_will_then_a_new_session_is_born(
    plant: Plant, recorder: Any, proxy: Proxy, start_app: Any
):
    plant.characteristic()
    spb = recorder("spBv1.0/#")
    app: App = start_app(url=proxy.url)
    first = spb.next_on(topic("NBIRTH"))
    assert bd_seq(spb, first) == 0

    proxy.cut()  # no DISCONNECT reaches the broker

    death = spb.next_on(topic("NDEATH"), start=first + 1)
    assert spb.messages[death].qos == 1
    will = spb.decoded(death)
    assert "seq" not in will.fields
    assert [(m.name, m.datatype, m.value) for m in will.metrics] == [("bdSeq", INT64, 0)]
    reborn = spb.next_on(topic("NBIRTH"), start=first + 1)
    assert spb.decoded(reborn).seq == 0 and bd_seq(spb, reborn) == 1
    health = app.client.get("/health").json()["components"]["mqtt_publisher"]
    assert health["connected"] is True and health["bd_seq"] == 1


def test_stop_publishes_what_waits_then_its_ndeath(plant: Plant, recorder: Any, start_app: Any):
    cid = plant.characteristic()
    spb = recorder("spBv1.0/#")
    app: App = start_app()
    birth = spb.next_on(topic("NBIRTH"))
    app.post_sample(cid, 1.0)

    app.stop()

    ndata = spb.next_on(topic("NDATA"), start=birth + 1)
    death = spb.next_on(topic("NDEATH"), start=birth + 1)
    assert ndata < death
    assert spb.messages[death].qos == 1 and bd_seq(spb, death) == 0


def test_off_unless_enabled(
    make_settings: Any, database_url: str, mosquitto: MosquittoBroker, recorder: Any
):
    everything = recorder("#")
    settings = make_settings(database_url=database_url, mqtt_url=mosquitto.url, plugins=ONLY_US)
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()["components"]["mqtt_publisher"]
    assert health == {"enabled": False}
    assert everything.messages == []


def test_an_unreachable_broker_never_holds_up_the_pipeline(plant: Plant, start_app: Any):
    cid = plant.characteristic()
    app: App = start_app(url=f"mqtt://127.0.0.1:{free_port()}")

    assert app.post_sample(cid, 5.0)["violations"]  # committed and judged as usual

    health = app.client.get("/health").json()
    assert health["status"] == "degraded"
    assert health["components"]["mqtt_publisher"]["connected"] is False
