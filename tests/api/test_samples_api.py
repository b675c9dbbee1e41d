"""Manual entry through the real app: submit, violations, batches, validation, exclusion, limits."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from openspc.db import models as m
from openspc.testing.builders import Plant


@pytest.fixture
def plant_app(app_client: Any, roles: Any) -> tuple[Any, Any, Plant]:
    return app_client, roles, Plant(app_client.app.state.kernel.settings.database_url)


def submit(
    client: Any, headers: dict[str, str], cid: int, measurements: list[float], **extra: Any
) -> Any:
    return client.post(
        f"/api/v1/characteristics/{cid}/samples",
        json={"measurements": measurements, **extra},
        headers=headers,
    )


def test_submit_returns_the_sample_and_its_violations(plant_app) -> None:  # type: ignore[no-untyped-def]
    client, roles, plant = plant_app
    cid = plant.characteristic()
    op = roles.headers("operator")
    ok = submit(client, op, cid, [0.2], batch_number="B-7")
    assert ok.status_code == 201, ok.text
    body = ok.json()
    assert body["violations"] == [] and body["sample"]["measurements"] == [0.2]
    assert (
        body["sample"]["batch_number"] == "B-7" and body["sample"]["operator_id"] == "test-operator"
    )
    bad = submit(client, op, cid, [4.0]).json()
    # 4.0 is beyond 3 sigma, and so is its moving range of 3.8 (MR UCL = 3.267 sigma)
    assert [
        (v["chart"], v["rule_id"], v["rule_key"], v["severity"]) for v in bad["violations"]
    ] == [
        ("primary", 1, "nelson.1", "CRITICAL"),
        ("dispersion", 1, "nelson.1", "CRITICAL"),
    ]
    with plant.engine.connect() as conn:
        stored = conn.execute(select(m.Violation.sample_id)).scalars().all()
    assert stored == [bad["sample"]["id"]] * 2


def test_batch_is_stored_in_order_with_all_violations(plant_app) -> None:  # type: ignore[no-untyped-def]
    client, roles, plant = plant_app
    cid = plant.characteristic()
    samples = [
        {"measurements": [0.5], "timestamp": f"2026-03-01T10:00:{i:02d}Z"} for i in range(10)
    ]
    r = client.post(
        f"/api/v1/characteristics/{cid}/samples/batch",
        json={"samples": samples},
        headers=roles.headers("operator"),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["sample_ids"]) == 10 and body["sample_ids"] == sorted(body["sample_ids"])
    assert [v["sample_id"] for v in body["violations"]] == body["sample_ids"][8:10]
    again = client.post(
        f"/api/v1/characteristics/{cid}/samples/batch",
        json={"samples": samples[:3]},
        headers=roles.headers("operator"),
    )
    assert again.json()["duplicates"] == [0, 1, 2]


def test_batch_with_one_bad_sample_stores_none_and_names_it(plant_app) -> None:  # type: ignore[no-untyped-def]
    client, roles, plant = plant_app
    cid = plant.characteristic()
    samples = [{"measurements": [0.1]}, {"measurements": [0.1, 0.2]}, {"measurements": [0.3]}]
    r = client.post(
        f"/api/v1/characteristics/{cid}/samples/batch",
        json={"samples": samples},
        headers=roles.headers("operator"),
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "samples", 1, "measurements"]
    with plant.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.Sample)).scalar() == 0


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"measurements": [1.0, 2.0]}, ["body", "measurements"]),
        ({"measurements": []}, ["body", "measurements"]),
        ({"measurements": ["abc"]}, ["body", "measurements", 0]),
        ({"measurements": [1.0], "timestamp": "yesterday"}, ["body", "timestamp"]),
        ({"measurements": [1.0], "colour": "red"}, ["body", "colour"]),
        ({}, ["body", "measurements"]),
    ],
)
def test_validation_errors_name_the_field(
    plant_app, payload: dict[str, Any], loc: list[Any]
) -> None:  # type: ignore[no-untyped-def]
    client, roles, plant = plant_app
    cid = plant.characteristic()
    r = client.post(
        f"/api/v1/characteristics/{cid}/samples", json=payload, headers=roles.headers("operator")
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == loc


def test_non_finite_values_and_unknown_or_tag_characteristics(plant_app) -> None:  # type: ignore[no-untyped-def]
    client, roles, plant = plant_app
    cid = plant.characteristic()
    op = roles.headers("operator")
    nan = client.post(
        f"/api/v1/characteristics/{cid}/samples",
        content='{"measurements": [NaN]}',
        headers={**op, "Content-Type": "application/json"},
    )
    assert nan.status_code == 422 and nan.json()["detail"][0]["loc"][:2] == ["body", "measurements"]
    assert submit(client, op, cid + 999, [1.0]).status_code == 404
    with plant.engine.begin() as conn:
        conn.execute(
            m.Characteristic.__table__.update()
            .where(m.Characteristic.id == cid)
            .values(source="TAG", tag="mqtt://line1/d")
        )
    client.app.state.kernel.pipeline.invalidate(cid)
    refused = submit(client, op, cid, [1.0])
    assert refused.status_code == 422 and "TAG" in refused.json()["detail"][0]["msg"]


def test_duplicate_timestamp_is_a_conflict(plant_app) -> None:  # type: ignore[no-untyped-def]
    client, roles, plant = plant_app
    cid = plant.characteristic()
    op = roles.headers("operator")
    assert submit(client, op, cid, [1.0], timestamp="2026-01-01T00:00:00Z").status_code == 201
    assert submit(client, op, cid, [2.0], timestamp="2026-01-01T00:00:00+00:00").status_code == 409


def test_list_is_newest_first_with_total(plant_app) -> None:  # type: ignore[no-untyped-def]
    client, roles, plant = plant_app
    cid = plant.characteristic()
    op = roles.headers("operator")
    for i in range(5):
        submit(client, op, cid, [float(i)], timestamp=f"2026-01-01T00:00:0{i}Z")
    page = client.get(f"/api/v1/characteristics/{cid}/samples?limit=2", headers=op).json()
    assert page["total"] == 5 and [s["measurements"] for s in page["items"]] == [[4.0], [3.0]]
    older = client.get(
        f"/api/v1/characteristics/{cid}/samples",
        params={"before": page["items"][-1]["timestamp"]},
        headers=op,
    ).json()
    assert [s["mean"] for s in older["items"]] == [2.0, 1.0, 0.0]


def test_exclusion_leaves_the_rule_sequence_and_is_audited(plant_app) -> None:  # type: ignore[no-untyped-def]
    client, roles, plant = plant_app
    cid = plant.characteristic()
    op, eng = roles.headers("operator"), roles.headers("engineer")
    ids = [submit(client, op, cid, [0.5]).json()["sample"]["id"] for _ in range(8)]
    odd = submit(client, op, cid, [-0.5]).json()["sample"]["id"]
    assert (
        client.patch(
            f"/api/v1/samples/{odd}", json={"excluded": True, "reason": "gauge dropped"}, headers=op
        ).status_code
        == 403
    )
    r = client.patch(
        f"/api/v1/samples/{odd}", json={"excluded": True, "reason": "gauge dropped"}, headers=eng
    )
    assert r.status_code == 200 and r.json()["excluded"] is True and r.json()["mean"] == -0.5
    ninth = submit(client, op, cid, [0.5]).json()
    assert [v["rule_key"] for v in ninth["violations"]] == [
        "nelson.2"
    ]  # 8 + 1: the excluded point is gone
    with plant.engine.connect() as conn:
        entry = conn.execute(select(m.AuditEntry).where(m.AuditEntry.entity == "sample")).one()
    assert entry.actor == "test-engineer" and entry.after == {
        "excluded": True,
        "reason": "gauge dropped",
    }
    assert len(ids) == 8


def test_limits_recalculate_preview_set_and_history(plant_app) -> None:  # type: ignore[no-untyped-def]
    client, roles, plant = plant_app
    cid = plant.characteristic(center=None, baseline_subgroups=100)
    op, eng = roles.headers("operator"), roles.headers("engineer")
    values = [10.0, 10.2, 9.9, 10.1, 9.8, 10.0, 10.3, 9.7]
    ids = [submit(client, op, cid, [v]).json()["sample"]["id"] for v in values]
    url = f"/api/v1/characteristics/{cid}/limits"
    preview = client.post(
        f"{url}/recalculate", json={"preview": True, "from_sample_id": ids[0]}, headers=eng
    ).json()
    mr_bar = sum(abs(a - b) for a, b in zip(values[1:], values[:-1], strict=True)) / 7
    assert preview["id"] is None and preview["center_line"] == pytest.approx(sum(values) / 8)
    assert preview["sigma"] == pytest.approx(mr_bar / 1.128, rel=1e-3)
    assert client.get(f"{url}/history", headers=op).json() == []
    stored = client.post(f"{url}/recalculate", json={"to_sample_id": ids[-1]}, headers=eng).json()
    assert (
        stored["version"] == 1
        and stored["sample_count"] == 8
        and stored["created_by"] == "test-engineer"
    )
    manual = client.put(url, json={"center_line": 10.0, "ucl": 10.6, "lcl": 9.4}, headers=eng)
    assert manual.status_code == 201 and manual.json()["sigma"] == pytest.approx(0.2)
    assert [v["version"] for v in client.get(f"{url}/history", headers=op).json()] == [2, 1]
    breach = submit(client, op, cid, [10.7]).json()
    assert [v["rule_key"] for v in breach["violations"] if v["chart"] == "primary"] == ["nelson.1"]
    assert breach["sample"]["limits_id"] == manual.json()["id"]
    bad = client.put(url, json={"center_line": 10.0, "ucl": 9.0, "lcl": 9.4}, headers=eng)
    assert bad.status_code == 422
