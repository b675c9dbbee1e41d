"""Violations through the real app: the list and its filters, the summary, acknowledgment
(single and bulk, reason codes, conflicts), the ``ack_update`` event, reason-code upkeep, and
the database refusing to change violation facts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, text, update
from sqlalchemy.exc import DatabaseError

from openspc.db import models as m
from openspc.engine.pipeline import BatchEvents
from openspc.testing.builders import T0, Plant
from openspc.testing.fixtures import RoleClients

ITEM_FIELDS = {
    "id",
    "sample_id",
    "characteristic_id",
    "characteristic_name",
    "chart",
    "rule_id",
    "rule_key",
    "rule_name",
    "severity",
    "details",
    "limits_id",
    "created_at",
    "sample_timestamp",
    "acknowledged",
    "acknowledgment",
}

RECORDS = ("violation", "acknowledgment", "measurement")


@dataclass
class Floor:
    """The app, its role headers, and characteristics built in its database."""

    client: TestClient
    roles: RoleClients
    plant: Plant

    def submit(self, cid: int, value: float, at: datetime) -> list[dict[str, Any]]:
        r = self.client.post(
            f"/api/v1/characteristics/{cid}/samples",
            json={"measurements": [value], "timestamp": at.isoformat()},
            headers=self.roles.headers("operator"),
        )
        assert r.status_code == 201, r.text
        violations: list[dict[str, Any]] = r.json()["violations"]
        return violations

    def beyond_limits(self, cid: int, at: datetime) -> int:
        """The id of the nelson.1 violation a first point at 5 sigma causes."""
        [v] = self.submit(cid, 5.0, at)
        assert (v["rule_key"], v["chart"], v["severity"]) == ("nelson.1", "primary", "CRITICAL")
        return int(v["id"])

    def get(self, path: str, role: str = "operator", **params: Any) -> Any:
        r = self.client.get(f"/api/v1{path}", params=params, headers=self.roles.headers(role))
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body: dict[str, Any], role: str = "operator") -> Any:
        return self.client.post(f"/api/v1{path}", json=body, headers=self.roles.headers(role))


@pytest.fixture
def floor(app_client: TestClient, roles: RoleClients) -> Iterator[Floor]:
    plant = Plant(app_client.app.state.kernel.settings.database_url)
    yield Floor(app_client, roles, plant)
    plant.engine.dispose()


def ids(page: dict[str, Any]) -> list[int]:
    return [v["id"] for v in page["items"]]


def test_list_item_carries_characteristic_sample_and_rule(floor: Floor) -> None:
    cid = floor.plant.characteristic("bore diameter")
    vid = floor.beyond_limits(cid, T0)
    page = floor.get("/violations")
    assert page["total"] == 1
    [item] = page["items"]
    assert set(item) == ITEM_FIELDS
    assert item["id"] == vid and item["characteristic_id"] == cid
    assert item["characteristic_name"] == "bore diameter"
    assert datetime.fromisoformat(item["sample_timestamp"]) == T0
    assert (item["rule_id"], item["rule_name"]) == (1, "Beyond limits")
    assert item["details"]["side"] == "upper" and item["details"]["z"] == 5.0
    assert item["acknowledged"] is False and item["acknowledgment"] is None


def test_unacknowledged_first_then_newest_first_and_paging(floor: Floor) -> None:
    first, second, third = (
        floor.beyond_limits(floor.plant.characteristic(f"c{i}"), T0) for i in range(3)
    )
    ack = floor.post(f"/violations/{third}/acknowledge", {"reason_code": "TOOL_WEAR"})
    assert ack.status_code == 200, ack.text
    assert ids(floor.get("/violations")) == [second, first, third]
    page = floor.get("/violations", limit=1, offset=1)
    assert ids(page) == [first] and page["total"] == 3


def test_filters(floor: Floor) -> None:
    # Plant's line moves under a site; a second plant's line stays apart.
    with floor.plant.engine.begin() as conn:
        site = conn.execute(
            insert(m.Hierarchy).values(name="Site", type="site").returning(m.Hierarchy.id)
        ).scalar_one()
        conn.execute(
            update(m.Hierarchy).where(m.Hierarchy.id == floor.plant.line).values(parent_id=site)
        )
    other = Plant(floor.client.app.state.kernel.settings.database_url)
    here, there = floor.plant.characteristic("here"), other.characteristic("there")
    early = floor.beyond_limits(here, T0)
    late = floor.beyond_limits(there, T0 + timedelta(hours=1))
    # 5, 2.5, 2.5: the third point makes 2 of 3 beyond 2 sigma, nelson.5, a warning
    floor.submit(here, 2.5, T0 + timedelta(minutes=1))
    [warning] = floor.submit(here, 2.5, T0 + timedelta(minutes=2))
    assert (warning["rule_key"], warning["severity"]) == ("nelson.5", "WARNING")
    floor.post(f"/violations/{early}/acknowledge", {"reason_code": "SETUP"})

    def found(**params: Any) -> set[int]:
        return set(ids(floor.get("/violations", **params)))

    assert found(characteristic_id=there) == {late}
    assert found(hierarchy_id=site) == {early, warning["id"]}
    assert found(hierarchy_id=other.line) == {late}
    assert found(severity="WARNING") == {warning["id"]}
    assert found(rule_key="nelson.1") == {early, late}
    assert found(acknowledged=True) == {early}
    assert found(acknowledged=False) == {late, warning["id"]}
    assert found(**{"from": (T0 + timedelta(minutes=2)).isoformat()}) == {warning["id"], late}
    assert found(**{"to": "2026-01-01T00:30:00"}) == {early, warning["id"]}  # no offset: UTC
    assert (
        floor.client.get(
            "/api/v1/violations",
            params={"severity": "SEVERE"},
            headers=floor.roles.headers("operator"),
        ).status_code
        == 422
    )
    other.engine.dispose()


def test_summary_counts_unacknowledged_and_total(floor: Floor) -> None:
    quiet, noisy = floor.plant.characteristic("quiet"), floor.plant.characteristic("noisy")
    acked = floor.beyond_limits(quiet, T0)
    floor.beyond_limits(noisy, T0)
    [moving_range] = floor.submit(noisy, -1.0, T0 + timedelta(minutes=1))  # a range of 6 sigma
    assert (moving_range["chart"], moving_range["rule_key"]) == ("dispersion", "nelson.1")
    floor.post(f"/violations/{acked}/acknowledge", {"reason_code": "SETUP"})
    summary = floor.get("/violations/summary")
    assert (summary["unacknowledged"], summary["total"]) == (2, 3)
    assert summary["by_severity"] == [
        {"severity": "CRITICAL", "unacknowledged": 2, "total": 3},
        {"severity": "WARNING", "unacknowledged": 0, "total": 0},
    ]
    assert summary["by_rule"] == [
        {"rule_key": "nelson.1", "rule_name": "Beyond limits", "unacknowledged": 2, "total": 3}
    ]
    assert [
        (c["characteristic_name"], c["unacknowledged"], c["unacknowledged_critical"], c["total"])
        for c in summary["by_characteristic"]
    ] == [("noisy", 2, 2, 2), ("quiet", 0, 0, 1)]
    assert {c["hierarchy_id"] for c in summary["by_characteristic"]} == {floor.plant.line}
    assert floor.get("/violations/summary", characteristic_id=quiet)["total"] == 1


def test_acknowledge_records_who_why_when_and_audits(floor: Floor) -> None:
    vid = floor.beyond_limits(floor.plant.characteristic(), T0)
    r = floor.client.post(
        f"/api/v1/violations/{vid}/acknowledge",
        json={"reason_code": "TOOL_WEAR", "comment": "insert changed"},
        headers={**floor.roles.headers("operator"), "X-Request-ID": "ack-1"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == vid and body["acknowledged"] is True
    ack = body["acknowledgment"]
    assert (ack["user"], ack["reason_code"], ack["comment"]) == (
        "test-operator",
        "TOOL_WEAR",
        "insert changed",
    )
    assert abs(datetime.fromisoformat(ack["created_at"]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert floor.get("/violations")["items"][0]["acknowledgment"] == ack
    [entry] = floor.get("/audit", "admin", entity="violation", entity_id=str(vid))["items"]
    assert (entry["actor"], entry["action"], entry["request_id"]) == (
        "test-operator",
        "acknowledge",
        "ack-1",
    )
    assert entry["after"] == {"reason_code": "TOOL_WEAR", "comment": "insert changed"}


def test_acknowledging_twice_unknown_ids_and_unknown_or_inactive_codes_are_refused(
    floor: Floor,
) -> None:
    vid = floor.beyond_limits(floor.plant.characteristic(), T0)
    again = floor.post(f"/violations/{vid}/acknowledge", {"reason_code": "SETUP"})
    assert again.status_code == 200
    second = floor.post(f"/violations/{vid}/acknowledge", {"reason_code": "SETUP"})
    assert second.status_code == 409
    assert second.json()["detail"] == {"message": "already acknowledged", "violation_ids": [vid]}
    missing = floor.post("/violations/99999/acknowledge", {"reason_code": "SETUP"})
    assert missing.status_code == 404 and missing.json()["detail"]["violation_ids"] == [99999]
    unknown = floor.post(f"/violations/{vid}/acknowledge", {"reason_code": "GREMLINS"})
    assert unknown.status_code == 422
    assert [e["loc"] for e in unknown.json()["detail"]] == [["body", "reason_code"]]
    assert floor.post(f"/violations/{vid}/acknowledge", {}).status_code == 422
    [code] = [c for c in floor.get("/reason-codes") if c["code"] == "ENVIRONMENT"]
    r = floor.client.patch(
        f"/api/v1/reason-codes/{code['id']}",
        json={"active": False},
        headers=floor.roles.headers("engineer"),
    )
    assert r.status_code == 200 and r.json()["active"] is False
    other = floor.beyond_limits(floor.plant.characteristic("other"), T0)
    inactive = floor.post(f"/violations/{other}/acknowledge", {"reason_code": "ENVIRONMENT"})
    assert inactive.status_code == 422
    assert inactive.json()["detail"][0]["loc"] == ["body", "reason_code"]


def test_bulk_acknowledge_is_all_or_nothing(floor: Floor) -> None:
    a, b, c = (floor.beyond_limits(floor.plant.characteristic(f"c{i}"), T0) for i in range(3))
    floor.post(f"/violations/{b}/acknowledge", {"reason_code": "SETUP"})
    refused = floor.post(
        "/violations/acknowledge", {"violation_ids": [a, b, c], "reason_code": "MAINTENANCE"}
    )
    assert refused.status_code == 409
    assert refused.json()["detail"]["violation_ids"] == [b]
    assert set(ids(floor.get("/violations", acknowledged=False))) == {a, c}
    missing = floor.post(
        "/violations/acknowledge", {"violation_ids": [a, 424242], "reason_code": "MAINTENANCE"}
    )
    assert missing.status_code == 404 and missing.json()["detail"]["violation_ids"] == [424242]
    done = floor.post(
        "/violations/acknowledge",
        {"violation_ids": [a, c, a], "reason_code": "MAINTENANCE", "comment": "PM done"},
    )
    assert done.status_code == 200, done.text
    assert sorted(v["id"] for v in done.json()) == sorted([a, c])
    assert all(v["acknowledgment"]["comment"] == "PM done" for v in done.json())
    assert floor.get("/violations/summary")["unacknowledged"] == 0
    empty = floor.post("/violations/acknowledge", {"violation_ids": [], "reason_code": "SETUP"})
    assert empty.status_code == 422


class Recorder:
    """A notifier that keeps what it is sent."""

    name = "recorder"

    def __init__(self) -> None:
        self.sent: list[BatchEvents] = []

    async def send(self, events: BatchEvents) -> None:
        self.sent.append(events)


def test_acknowledgment_is_published_to_notifiers(floor: Floor) -> None:
    cid = floor.plant.characteristic()
    vid = floor.beyond_limits(cid, T0)
    recorder = Recorder()
    floor.client.app.state.kernel.notifiers.append(recorder)
    r = floor.post(f"/violations/{vid}/acknowledge", {"reason_code": "SETUP", "comment": "ok"})
    assert r.status_code == 200
    [events] = recorder.sent
    assert not events.samples and not events.violations
    [ack] = events.acks
    assert {k: ack[k] for k in ("violation_id", "acknowledged", "characteristic_id")} == {
        "violation_id": vid,
        "acknowledged": True,
        "characteristic_id": cid,
    }
    assert ack["acknowledgment"] == r.json()["acknowledgment"]


def test_reason_codes_are_listed_added_and_deactivated_not_deleted(floor: Floor) -> None:
    seeded = {c["code"] for c in floor.get("/reason-codes")}
    assert {"TOOL_WEAR", "MATERIAL_CHANGE", "OTHER"} <= seeded
    created = floor.post("/reason-codes", {"code": "COOLANT", "label": "Coolant"}, "engineer")
    assert created.status_code == 201, created.text
    code = created.json()
    assert code["active"] is True
    dup = floor.post("/reason-codes", {"code": "COOLANT", "label": "Again"}, "engineer")
    assert dup.status_code == 409
    assert (
        floor.post("/reason-codes", {"code": "bad code", "label": "x"}, "engineer").status_code
        == 422
    )
    r = floor.client.patch(
        f"/api/v1/reason-codes/{code['id']}",
        json={"label": "Coolant concentration", "active": False},
        headers=floor.roles.headers("engineer"),
    )
    assert r.json() == {**code, "label": "Coolant concentration", "active": False}
    assert "COOLANT" not in {c["code"] for c in floor.get("/reason-codes")}
    everything = floor.get("/reason-codes", include_inactive=True)
    assert {"code": "COOLANT", "active": False}.items() <= next(
        c for c in everything if c["code"] == "COOLANT"
    ).items()
    missing = floor.client.patch(
        "/api/v1/reason-codes/99999", json={"active": True}, headers=floor.roles.headers("engineer")
    )
    assert missing.status_code == 404
    entries = floor.get("/audit", "admin", entity="reason_code", entity_id=str(code["id"]))
    assert [e["action"] for e in entries["items"]] == ["update", "create"]
    assert entries["items"][0]["before"]["active"] is True


def test_database_refuses_to_change_violation_facts(floor: Floor) -> None:
    vid = floor.beyond_limits(floor.plant.characteristic(), T0)
    floor.post(f"/violations/{vid}/acknowledge", {"reason_code": "SETUP"})
    engine = floor.plant.engine
    with engine.connect() as conn:
        before = [conn.execute(text(f"SELECT * FROM {t}")).all() for t in RECORDS]
    for statement in (
        update(m.Violation).values(severity="WARNING"),
        update(m.Violation).values(details={}),
        delete(m.Violation),
        update(m.Acknowledgment).values(reason_code="OTHER"),
        delete(m.Acknowledgment),
        update(m.Measurement).values(value=0.0),
        delete(m.Measurement),
    ):
        with pytest.raises(DatabaseError, match="immutable"), engine.begin() as conn:
            conn.execute(statement)
    with engine.connect() as conn:
        assert [conn.execute(text(f"SELECT * FROM {t}")).all() for t in RECORDS] == before
