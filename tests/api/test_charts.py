"""Chart data (the limits in force at every point, violations with their acknowledgment) and
capability, on samples submitted through the REST API."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import insert

from openspc.db import models as m
from openspc.stats.normality import anderson_darling

from .conftest import Api, locs

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat()


def submit_all(api: Api, cid: int, subgroups: list[list[float]]) -> list[dict[str, Any]]:
    return [api.submit(cid, values, timestamp=at(i)) for i, values in enumerate(subgroups)]


def test_points_carry_the_limits_in_force_and_their_violations(api: Api) -> None:
    c = api.characteristic(usl=16.0, lsl=4.0, limits={"center_line": 10.0, "sigma": 1.0})
    cid = c["id"]
    first = c["current_limits"]["id"]
    results = submit_all(api, cid, [[10.0], [10.5], [14.0]])
    [violation] = results[2]["violations"]
    second = api.patch(
        f"/characteristics/{cid}", {"limits": {"center_line": 20.0, "sigma": 2.0}}
    ).json()["current_limits"]["id"]
    api.submit(cid, [20.0], timestamp=at(3))
    with api.kernel.engine.begin() as conn:
        conn.execute(
            insert(m.Acknowledgment).values(
                violation_id=violation["id"], user="test-operator", reason_code="SETUP"
            )
        )

    r = api.get(f"/characteristics/{cid}/chart")
    assert r.status_code == 200
    chart = r.json()
    assert chart["chart_type"] == "imr" and chart["characteristic"]["name"] == "Diameter"
    assert chart["spec"] == {"usl": 16.0, "lsl": 4.0, "target": None}
    assert chart["current_limits"]["id"] == second and chart["current_limits"]["version"] == 2
    points = chart["points"]
    assert [p["value"] for p in points] == [10.0, 10.5, 14.0, 20.0]
    assert [p["dispersion"] for p in points] == [None, 0.5, 3.5, 6.0]
    assert [p["timestamp"] for p in points] == [at(i).replace("+00:00", "Z") for i in range(4)]
    assert [p["limits"]["id"] for p in points] == [first, first, first, second]
    assert points[0]["limits"] == {
        "id": first,
        "center_line": 10.0,
        "ucl": 13.0,
        "lcl": 7.0,
        "sigma_point": 1.0,
        "zones": {"+1": 11.0, "+2": 12.0, "-1": 9.0, "-2": 8.0},
        "dispersion_center": pytest.approx(1.128, abs=1e-3),  # d2(2) sigma
        "dispersion_ucl": pytest.approx(3.686, abs=1e-3),  # D4(2) d2(2) sigma
        "dispersion_lcl": 0.0,
    }
    later = points[3]["limits"]
    assert (later["center_line"], later["ucl"], later["lcl"]) == (20.0, 26.0, 14.0)
    assert later["zones"] == {"+1": 22.0, "+2": 24.0, "-1": 18.0, "-2": 16.0}
    assert [len(p["violations"]) for p in points] == [0, 0, 1, 0]
    assert points[2]["violations"] == [
        {
            "id": violation["id"],
            "rule_key": "nelson.1",
            "rule_id": 1,
            "rule_name": "Beyond limits",
            "severity": "CRITICAL",
            "chart": "primary",
            "acknowledged": True,
        }
    ]

    newest = api.get(f"/characteristics/{cid}/chart", limit=2).json()["points"]
    assert [p["value"] for p in newest] == [14.0, 20.0]
    assert newest[0]["violations"][0]["id"] == violation["id"]
    assert locs(api.get(f"/characteristics/{cid}/chart", limit=0)) == [["query", "limit"]]
    assert api.get("/characteristics/999/chart").status_code == 404
    assert api.get(f"/characteristics/{cid}/chart", role=None).status_code == 401


def test_baseline_points_have_no_limits_later_ones_the_calculated_ones(api: Api) -> None:
    c = api.characteristic(chart_type="xbar_r", subgroup_size=3, baseline_subgroups=2)
    cid = c["id"]
    assert api.get(f"/characteristics/{cid}/chart").json()["points"] == []
    samples = submit_all(api, cid, [[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [2.0, 2.0, 5.0]])
    excluded = api.patch(
        f"/samples/{samples[0]['sample']['id']}", {"excluded": True, "reason": "gauge"}
    )
    assert excluded.status_code == 200, excluded.text

    chart = api.get(f"/characteristics/{cid}/chart").json()
    points = chart["points"]
    assert [p["limits"] is None for p in points] == [True, True, False]
    assert [p["excluded"] for p in points] == [True, False, False]
    assert [p["value"] for p in points] == [2.0, 3.0, 3.0] and points[2]["dispersion"] == 3.0
    limits = points[2]["limits"]
    assert limits["id"] == chart["current_limits"]["id"]
    assert chart["current_limits"]["method"] == "baseline"
    # textbook X̄-R lines from the baseline: X̄̄ = 2.5, R̄ = 2, n = 3 (A2 = 1.0233, D4 = 2.5746)
    assert limits["center_line"] == pytest.approx(2.5)
    assert limits["ucl"] == pytest.approx(2.5 + 1.0233 * 2, abs=1e-3)
    assert limits["lcl"] == pytest.approx(2.5 - 1.0233 * 2, abs=1e-3)
    assert limits["sigma_point"] == pytest.approx(1.0233 * 2 / 3, abs=1e-3)
    assert limits["dispersion_center"] == pytest.approx(2.0)
    assert limits["dispersion_ucl"] == pytest.approx(2.5746 * 2, abs=1e-3)
    assert limits["dispersion_lcl"] == 0.0


def capability(api: Api, cid: int, role: str | None = "operator", **params: Any) -> Any:
    return api.get(f"/characteristics/{cid}/capability", role=role, **params)


def test_capability_from_the_limits_sigma_without_excluded_samples(api: Api) -> None:
    c = api.characteristic(
        chart_type="xbar_r",
        subgroup_size=4,
        usl=13.0,
        lsl=7.0,
        target=10.5,
        limits={"center_line": 10.0, "sigma": 1.0},
    )
    cid = c["id"]
    rng = np.random.default_rng(7)
    subgroups = np.round(rng.normal(10.2, 1.1, size=(10, 4)), 3).tolist()
    samples = submit_all(api, cid, [*subgroups, [30.0, 30.0, 30.0, 30.0]])
    api.patch(f"/samples/{samples[-1]['sample']['id']}", {"excluded": True, "reason": "spill"})

    r = capability(api, cid)
    assert r.status_code == 200, r.text
    report = r.json()
    x = np.array(subgroups).ravel()
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    assert (report["n"], report["subgroups"], report["sigma_source"]) == (40, 10, "limits")
    assert report["first_sample_at"] == at(0).replace("+00:00", "Z")
    assert report["last_sample_at"] == at(9).replace("+00:00", "Z")
    assert report["mean"] == pytest.approx(mean)
    assert (report["sigma_within"], report["sigma_overall"]) == (1.0, pytest.approx(sd))
    assert (report["usl"], report["lsl"], report["target"]) == (13.0, 7.0, 10.5)
    cpu, cpl = (13.0 - mean) / 3.0, (mean - 7.0) / 3.0
    assert report["indices"] == {
        "cp": pytest.approx(1.0),
        "cpu": pytest.approx(cpu),
        "cpl": pytest.approx(cpl),
        "cpk": pytest.approx(min(cpu, cpl)),
        "pp": pytest.approx(6.0 / (6.0 * sd)),
        "ppu": pytest.approx((13.0 - mean) / (3.0 * sd)),
        "ppl": pytest.approx((mean - 7.0) / (3.0 * sd)),
        "ppk": pytest.approx(min(13.0 - mean, mean - 7.0) / (3.0 * sd)),
        "cpm": pytest.approx(1.0 / math.sqrt(1.0 + (mean - 10.5) ** 2)),
    }
    bins = report["histogram"]
    assert sum(bins["counts"]) == 40 and len(bins["edges"]) == len(bins["counts"]) + 1
    assert (bins["edges"][0], bins["edges"][-1]) == (x.min(), x.max())
    ad = anderson_darling(x)
    assert report["normality"] == {
        "method": "anderson_darling",
        "a2": pytest.approx(ad.a2),
        "a2_star": pytest.approx(ad.a2_star),
        "p_value": pytest.approx(ad.p_value),
    }

    window = capability(api, cid, **{"from": at(2), "to": at(5)}).json()
    assert (window["n"], window["subgroups"]) == (16, 4)
    assert window["mean"] == pytest.approx(float(np.mean(subgroups[2:6])))
    naive = capability(api, cid, **{"from": at(2)[:19]})  # no offset: taken as UTC
    assert naive.json()["subgroups"] == 8

    api.patch(f"/characteristics/{cid}", {"lsl": None})
    one_sided = capability(api, cid).json()["indices"]
    assert one_sided["cp"] is None and one_sided["cpl"] is None and one_sided["cpm"] is None
    assert one_sided["cpk"] == pytest.approx(cpu) and one_sided["pp"] is None


def test_capability_estimates_the_within_sigma_while_there_are_no_limits(api: Api) -> None:
    c = api.characteristic(usl=12.0, lsl=8.0, baseline_subgroups=100)
    cid = c["id"]
    values = [10.0, 10.4, 9.8, 10.1, 10.6]
    submit_all(api, cid, [[v] for v in values])
    report = capability(api, cid).json()
    sigma = np.mean(np.abs(np.diff(values))) / 1.128  # MR-bar / d2(2)
    assert report["sigma_source"] == "estimated"
    assert report["sigma_within"] == pytest.approx(sigma, rel=1e-3)
    assert report["indices"]["cp"] == pytest.approx(4.0 / (6 * sigma), rel=1e-3)
    assert report["normality"] is None  # fewer than 8 values


def test_capability_refusals(api: Api) -> None:
    bare = api.characteristic(name="No spec")
    api.submit(bare["id"], [1.0], timestamp=at(0))
    assert locs(capability(api, bare["id"])) == [["path", "characteristic_id"]]
    c = api.characteristic(usl=2.0)
    cid = c["id"]
    empty = capability(api, cid)
    assert locs(empty) == [["query"]] and "no samples" in empty.json()["detail"][0]["msg"]
    api.submit(cid, [1.0], timestamp=at(0))
    one = capability(api, cid)  # one value: no sigma can be estimated
    assert locs(one) == [["query"]] and "at least 2" in one.json()["detail"][0]["msg"]
    assert locs(capability(api, cid, **{"from": at(2), "to": at(1)})) == [["query", "to"]]
    assert locs(capability(api, cid, **{"from": "yesterday"})) == [["query", "from"]]
    assert capability(api, 999).status_code == 404
    assert capability(api, cid, role=None).status_code == 401
