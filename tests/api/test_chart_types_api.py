"""Attribute and time-weighted charts through the real app: configuration, manual entry of
counts, limits by hand and recalculated, chart data with per-point limits, capability."""

from __future__ import annotations

import math
from typing import Any

import pytest

from .conftest import Api, locs


def submit_count(api: Api, cid: int, count: Any, **extra: Any) -> Any:
    return api.post(f"/characteristics/{cid}/samples", {"count": count, **extra}, "operator")


def set_limits(api: Api, cid: int, body: dict[str, Any]) -> Any:
    return api._call("PUT", f"/characteristics/{cid}/limits", "engineer", json=body)


def test_p_chart_takes_counts_and_draws_limits_per_sample_size(api: Api) -> None:
    c = api.characteristic(name="Cans", chart_type="p", subgroup_size=50)
    assert c["chart_params"] == {} and c["current_limits"] is None
    assert {(r["chart"], r["rule_key"]) for r in c["rules"] if r["enabled"]} == {
        ("primary", f"nelson.{k}") for k in (1, 2, 3, 4)
    }
    assert set_limits(api, c["id"], {"center_line": 0.2}).status_code == 201
    ok = submit_count(api, c["id"], 12)
    assert ok.status_code == 201, ok.text
    sample = ok.json()["sample"]
    assert (sample["count"], sample["size"], sample["value"], sample["measurements"]) == (
        12,
        50.0,
        0.24,
        [],
    )
    out = submit_count(api, c["id"], 10, size=20).json()  # p = 0.5 with n = 20
    assert [v["rule_key"] for v in out["violations"]] == ["nelson.1"]
    points = api.get(f"/characteristics/{c['id']}/chart").json()["points"]
    sd = [math.sqrt(0.2 * 0.8 / n) for n in (50, 20)]
    assert [p["limits"]["ucl"] for p in points] == pytest.approx([0.2 + 3 * s for s in sd])
    assert [p["limits"]["lcl"] for p in points] == pytest.approx([0.2 - 3 * sd[0], 0.0])
    assert points[0]["limits"]["dispersion_ucl"] is None and points[0]["dispersion"] is None
    assert points[0]["limits"]["zones"]["+1"] == pytest.approx(0.2 + sd[0])


def test_attribute_entry_errors_name_the_field(api: Api) -> None:
    spec = api.post(
        "/characteristics",
        {
            "hierarchy_id": api.node(),
            "name": "B",
            "chart_type": "np",
            "subgroup_size": 20,
            "usl": 3.0,
        },
    )
    assert locs(spec) == [["body", "usl"]]
    c = api.characteristic(name="Boards", chart_type="np", subgroup_size=20)
    cid = c["id"]
    cases = [
        ({"count": 21}, ["body", "count"]),
        ({"count": -1}, ["body", "count"]),
        ({"count": 2.5}, ["body", "count"]),
        ({"count": 2, "size": 10}, ["body", "size"]),
        ({"count": 2, "size": 0}, ["body", "size"]),
        ({"measurements": [1.0]}, ["body", "measurements"]),
        ({}, ["body", "count"]),
    ]
    for body, loc in cases:
        r = api.post(f"/characteristics/{cid}/samples", body, "operator")
        assert loc in locs(r), (body, r.json())
    batch = api.post(
        f"/characteristics/{cid}/samples/batch",
        {"samples": [{"count": 1}, {"count": 30}]},
        "operator",
    )
    assert locs(batch) == [["body", "samples", 1, "count"]]
    assert api.get(f"/characteristics/{cid}/samples").json()["total"] == 0


def test_attribute_limits_by_hand_take_only_a_center_line(api: Api) -> None:
    c = api.characteristic(name="Defects", chart_type="c", subgroup_size=1)
    r = set_limits(api, c["id"], {"center_line": 4.0, "sigma": 2.0})
    assert locs(r) == [["body"]] and "follow from its center line" in r.text
    given = set_limits(api, c["id"], {"center_line": 4.0}).json()
    assert (given["sigma"], given["ucl"], given["lcl"]) == (2.0, 10.0, 0.0)
    capability = api.get(f"/characteristics/{c['id']}/capability")
    assert capability.status_code == 422 and "process average" in capability.text


def test_u_chart_recalculates_from_history(api: Api) -> None:
    c = api.characteristic(
        name="Computers", chart_type="u", subgroup_size=5, baseline_subgroups=100
    )
    for count, size in [(10, 5), (12, 5), (8, 4), (14, 6)]:
        assert submit_count(api, c["id"], count, size=size).status_code == 201
    r = api.post(f"/characteristics/{c['id']}/limits/recalculate", {})
    assert r.status_code == 200, r.text
    assert r.json()["center_line"] == pytest.approx(44 / 20) and r.json()["sample_count"] == 4


def test_ewma_chart_limits_widen_over_the_first_points(api: Api) -> None:
    c = api.characteristic(
        name="Fill", chart_type="ewma", subgroup_size=1, chart_params={"lambda": 0.3}
    )
    assert c["chart_params"] == {"lambda": 0.3, "L": 3.0}  # stored in full
    assert {(r["chart"], r["rule_key"]) for r in c["rules"]} == {("primary", "nelson.1")}
    assert locs(set_limits(api, c["id"], {"center_line": 50.0})) == [["body"]]
    assert set_limits(api, c["id"], {"center_line": 50.0, "sigma": 2.0539}).status_code == 201
    for x in (52.0, 47.0, 53.0):
        api.submit(c["id"], [x])
    chart = api.get(f"/characteristics/{c['id']}/chart").json()
    assert [round(p["statistic"], 3) for p in chart["points"]] == [50.6, 49.52, 50.564]
    widths = [p["limits"]["ucl"] - 50.0 for p in chart["points"]]
    expected = [3 * 2.0539 * math.sqrt(0.3 / 1.7 * (1 - 0.7 ** (2 * t))) for t in (1, 2, 3)]
    assert widths == pytest.approx(expected)
    assert chart["points"][0]["limits"]["zones"] is None
    assert chart["current_limits"]["ucl"] == pytest.approx(52.5884, abs=1e-4)
    capability = api.get(f"/characteristics/{c['id']}/capability")
    assert capability.status_code == 422 and "specification" in capability.text  # no usl/lsl


def test_cusum_chart_points_carry_both_sums(api: Api) -> None:
    c = api.characteristic(
        name="Gap", chart_type="cusum", subgroup_size=1, chart_params={"h": 4}, lsl=0.0, usl=20.0
    )
    assert set_limits(api, c["id"], {"center_line": 10.0, "sigma": 1.0}).status_code == 201
    for x in (12.0, 12.0, 7.0):
        api.submit(c["id"], [x])
    points = api.get(f"/characteristics/{c['id']}/chart").json()["points"]
    assert [(p["statistic"], p["statistic_lower"]) for p in points] == [
        (1.5, 0.0),
        (3.0, 0.0),
        (0.0, 2.5),
    ]
    assert (
        points[0]["limits"]["ucl"],
        points[0]["limits"]["lcl"],
        points[0]["limits"]["center_line"],
    ) == (4.0, -4.0, 0.0)
    assert api.get(f"/characteristics/{c['id']}/capability").status_code == 200


def test_changing_the_chart_family_drops_limits_that_judged_nothing(api: Api) -> None:
    c = api.characteristic(name="Width", limits={"center_line": 5.0, "sigma": 1.0})
    switched = api.patch(f"/characteristics/{c['id']}", {"chart_type": "c"}).json()
    assert switched["current_limits"] is None and switched["chart_params"] == {}
    ewma = api.patch(f"/characteristics/{c['id']}", {"chart_type": "ewma"}).json()
    assert ewma["chart_params"] == {"lambda": 0.2, "L": 3.0}
    bad = api.patch(f"/characteristics/{c['id']}", {"chart_params": {"lambda": 2}})
    assert locs(bad) == [["body", "chart_params", "lambda"]]
    assert set_limits(api, c["id"], {"center_line": 5.0, "sigma": 1.0}).status_code == 201
    cusum = api.patch(f"/characteristics/{c['id']}", {"chart_type": "cusum"}).json()
    assert cusum["current_limits"]["center_line"] == 5.0 and cusum["current_limits"]["ucl"] == 5.0
    p = api.characteristic(
        name="Rejects", chart_type="p", subgroup_size=50, limits={"center_line": 0.1}
    )
    as_np = api.patch(f"/characteristics/{p['id']}", {"chart_type": "np"}).json()
    assert as_np["current_limits"] is None  # 0.1 is no np center (that would be 5.0)
