"""JSON mode: violations and acknowledgments as JSON documents on ``<prefix>/violation`` and
``<prefix>/ack`` (QoS 1), kept while the broker is unreachable."""

from __future__ import annotations

import json
from typing import Any

from openspc.testing.builders import Plant

from .conftest import App, Proxy, wait_until


def test_violations_and_acknowledgments_as_json(plant: Plant, recorder: Any, start_app: Any):
    cid = plant.characteristic()
    everything = recorder("#")
    app: App = start_app(mode="json", topic_prefix="plant/spc")

    result = app.post_sample(cid, 5.0)
    [violation] = result["violations"]
    index = everything.next_on("plant/spc/violation")
    assert everything.messages[index].qos == 1
    event = json.loads(everything.messages[index].payload)
    assert event["id"] == violation["id"]
    assert {k: event[k] for k in ("characteristic_id", "sample_id", "rule_key", "severity")} == {
        "characteristic_id": cid,
        "sample_id": result["sample"]["id"],
        "rule_key": "nelson.1",
        "severity": "CRITICAL",
    }
    assert event["acknowledged"] is False and event["details"]["side"] == "upper"

    app.acknowledge(violation["id"])
    index = everything.next_on("plant/spc/ack", start=index + 1)
    ack = json.loads(everything.messages[index].payload)
    assert {k: ack[k] for k in ("violation_id", "acknowledged", "characteristic_id")} == {
        "violation_id": violation["id"],
        "acknowledged": True,
        "characteristic_id": cid,
    }
    assert ack["acknowledgment"]["reason_code"] == "TOOL_WEAR"
    assert [m.topic for m in everything.messages] == ["plant/spc/violation", "plant/spc/ack"]


def test_events_wait_for_an_unreachable_broker(
    plant: Plant, recorder: Any, proxy: Proxy, start_app: Any
):
    cid = plant.characteristic()
    events = recorder("openspc/#")
    app: App = start_app(mode="json", url=proxy.url)

    def publisher() -> dict[str, Any]:
        return dict(app.client.get("/health").json()["components"]["mqtt_publisher"])

    wait_until(lambda: publisher()["connected"])
    proxy.pause()
    wait_until(lambda: not publisher()["connected"])

    [violation] = app.post_sample(cid, -5.0)["violations"]
    assert publisher()["queued"] == 1

    proxy.resume()
    index = events.next_on("openspc/violation", timeout=10)
    assert json.loads(events.messages[index].payload)["id"] == violation["id"]
    wait_until(lambda: publisher()["queued"] == 0)
