"""Each webhook receives exactly the events its filters accept: event types, severities,
rules and hierarchy subtrees (including characteristics created after the filter)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert

from openspc.db import models as m
from openspc.testing.builders import Plant
from openspc_webhook.filters import Event, WebhookFilters, accepts

from .conftest import App, Receiver

CRITICAL_RULE_1 = Event("violation", {}, 7, "CRITICAL", "nelson.1")
WARNING_RULE_5 = Event("ack_update", {}, 7, "WARNING", "nelson.5")
LIMITS = Event("limits_update", {}, 7)


@pytest.mark.parametrize(
    ("filters", "event", "subtree", "accepted"),
    [
        ({}, CRITICAL_RULE_1, None, True),
        ({}, WARNING_RULE_5, None, False),  # only violations by default
        ({"event_types": ["ack_update"]}, WARNING_RULE_5, None, True),
        ({"severities": ["WARNING"]}, CRITICAL_RULE_1, None, False),
        ({"severities": ["CRITICAL", "WARNING"]}, CRITICAL_RULE_1, None, True),
        ({"rule_keys": ["nelson.2"]}, CRITICAL_RULE_1, None, False),
        ({"rule_keys": ["nelson.2", "nelson.1"]}, CRITICAL_RULE_1, None, True),
        ({"hierarchy_id": 1}, CRITICAL_RULE_1, frozenset({7}), True),
        ({"hierarchy_id": 1}, CRITICAL_RULE_1, frozenset({8}), False),
        ({"hierarchy_id": 1}, CRITICAL_RULE_1, frozenset(), False),
        # limit changes have no severity or rule: only the subtree narrows them
        (
            {"event_types": ["limits_update"], "severities": ["WARNING"], "rule_keys": ["x"]},
            LIMITS,
            None,
            True,
        ),
        ({"event_types": ["limits_update"], "hierarchy_id": 1}, LIMITS, frozenset({8}), False),
    ],
)
def test_accepts(
    filters: dict[str, Any], event: Event, subtree: frozenset[int] | None, accepted: bool
) -> None:
    assert accepts(WebhookFilters.model_validate(filters), event, subtree) is accepted


def node(plant: Plant, name: str, parent_id: int) -> int:
    with plant.engine.begin() as conn:
        return int(
            conn.execute(
                insert(m.Hierarchy)
                .values(name=name, type="cell", parent_id=parent_id)
                .returning(m.Hierarchy.id)
            ).scalar_one()
        )


def characteristic_on(plant: Plant, node_id: int, name: str, **options: Any) -> int:
    plant.line = node_id
    return plant.characteristic(name, **options)


def received(app: App, webhook: dict[str, Any]) -> list[tuple[str, int, str | None]]:
    """(event type, characteristic id, rule key) of what was queued for a webhook, oldest first."""
    return [
        (d["event_type"], d["payload"]["characteristic_id"], d["payload"].get("rule_key"))
        for d in reversed(app.deliveries(webhook["id"]))
    ]


def test_severity_and_rule_filters(app: App, plant: Plant, receiver: Receiver) -> None:
    everything = app.create_webhook(receiver.url)
    critical = app.create_webhook(receiver.url, filters={"severities": ["CRITICAL"]})
    warning = app.create_webhook(receiver.url, filters={"severities": ["WARNING"]})
    rule_5 = app.create_webhook(receiver.url, filters={"rule_keys": ["nelson.5"]})
    a, b = plant.characteristic("a"), plant.characteristic("b")

    assert [v["rule_key"] for v in app.submit(a, 5.0)["violations"]] == ["nelson.1"]
    for value in (0.0, 2.5):
        assert app.submit(b, value)["violations"] == []
    assert [v["rule_key"] for v in app.submit(b, 2.5)["violations"]] == ["nelson.5"]
    app.wait_deliveries(everything["id"], lambda log: len(log) == 2)

    assert received(app, everything) == [("violation", a, "nelson.1"), ("violation", b, "nelson.5")]
    assert received(app, critical) == [("violation", a, "nelson.1")]
    assert received(app, warning) == [("violation", b, "nelson.5")]
    assert received(app, rule_5) == [("violation", b, "nelson.5")]
    receiver.wait_for(5)


def test_hierarchy_subtree_filter(app: App, plant: Plant, receiver: Receiver) -> None:
    cell_a, cell_b = node(plant, "cell A", plant.line), node(plant, "cell B", plant.line)
    station = node(plant, "station A1", cell_a)
    deep, outside = characteristic_on(plant, station, "deep"), characteristic_on(plant, cell_b, "b")
    everything = app.create_webhook(receiver.url)
    below_a = app.create_webhook(receiver.url, filters={"hierarchy_id": cell_a})

    app.submit(deep, 5.0)
    app.submit(outside, 5.0)
    app.wait_deliveries(everything["id"], lambda log: len(log) == 2)
    assert [c for _, c, _ in received(app, below_a)] == [deep]

    # created after the filter's subtree was cached: found by the next batch that brings it
    later = characteristic_on(plant, cell_a, "later")
    app.submit(later, 5.0)
    app.wait_deliveries(everything["id"], lambda log: len(log) == 3)
    assert [c for _, c, _ in received(app, below_a)] == [deep, later]


def test_acknowledgments_and_limit_changes(app: App, plant: Plant, receiver: Receiver) -> None:
    acks = app.create_webhook(
        receiver.url, filters={"event_types": ["ack_update"], "severities": ["CRITICAL"]}
    )
    limits = app.create_webhook(
        receiver.url, filters={"event_types": ["limits_update"], "severities": ["CRITICAL"]}
    )
    everything = app.create_webhook(
        receiver.url, filters={"event_types": ["violation", "ack_update", "limits_update"]}
    )
    c, d = plant.characteristic("c"), plant.characteristic("d")
    [critical] = app.submit(c, 5.0)["violations"]
    app.submit(d, 0.0)
    app.submit(d, -2.5)
    [warning] = app.submit(d, -2.5)["violations"]
    assert (critical["severity"], warning["severity"]) == ("CRITICAL", "WARNING")
    for violation in (warning, critical):
        r = app.client.post(
            f"/api/v1/violations/{violation['id']}/acknowledge",
            json={"reason_code": "TOOL_WEAR"},
            headers=app.roles.headers("operator"),
        )
        assert r.status_code == 200, r.text
    baseline = plant.characteristic("baseline", center=None, baseline_subgroups=5)
    for value in (1.0, 2.0, 1.5, 2.5, 1.0):
        app.submit(baseline, value)

    log = app.wait_deliveries(everything["id"], lambda log: len(log) == 5)
    assert [d["event_type"] for d in reversed(log)] == [
        "violation",
        "violation",
        "ack_update",
        "ack_update",
        "limits_update",
    ]
    [ack] = app.deliveries(acks["id"])
    assert ack["event_type"] == "ack_update"
    assert ack["payload"]["violation_id"] == critical["id"]
    assert ack["payload"]["acknowledged"] is True
    [limit] = app.deliveries(limits["id"])
    assert limit["event_type"] == "limits_update"
    assert limit["payload"]["characteristic_id"] == baseline
    receiver.wait_for(7)
