"""The characteristics API: create with rules and limits, validation, uniqueness, search,
changes (the engine follows them), deletion, what is due, roles and the audit log."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import DatabaseError

from openspc.db import models as m

from .conftest import Api, locs


def effective(c: dict[str, Any], key: str, chart: str = "primary") -> dict[str, Any]:
    [rule] = [r for r in c["rules"] if r["rule_key"] == key and r["chart"] == chart]
    return rule


def test_create_with_sigma_limits_gives_defaults_rules_and_limits(api: Api) -> None:
    c = api.characteristic(
        name="Bore",
        unit="mm",
        usl=10.5,
        lsl=9.5,
        target=10.0,
        limits={"center_line": 10.0, "sigma": 0.1},
    )
    assert (c["chart_type"], c["subgroup_size"], c["source"], c["decimal_places"]) == (
        "imr",
        1,
        "MANUAL",
        3,
    )
    limits = c["current_limits"]
    assert (limits["method"], limits["version"], limits["created_by"]) == (
        "manual",
        1,
        "test-engineer",
    )
    assert limits["ucl"] == 10.3 and math.isclose(limits["lcl"], 9.7)
    # Nelson defaults: 1-8 on the I chart, 1-4 on the MR chart, only 1 enabled there;
    # Westgard rules are installed but off by default
    assert (
        effective(c, "nelson.7")["enabled"]
        and not effective(c, "nelson.2", "dispersion")["enabled"]
    )
    assert not effective(c, "westgard.1_3s")["enabled"]
    assert not any(r["customized"] for r in c["rules"])
    assert {r["chart"] for r in c["rules"] if r["rule_key"] == "nelson.5"} == {"primary"}
    assert api.get(f"/characteristics/{c['id']}").json() == c
    [created] = api.audit("characteristic")
    assert (created.action, created.actor, created.after["name"]) == (
        "create",
        "test-engineer",
        "Bore",
    )
    [limits_set] = api.audit("limits")
    assert limits_set.entity_id == str(c["id"]) and limits_set.after["sigma"] == 0.1


def test_limits_from_ucl_and_lcl_give_sigma_for_the_subgroup_size(api: Api) -> None:
    c = api.characteristic(
        chart_type="xbar_r", subgroup_size=4, limits={"center_line": 5.0, "ucl": 5.6, "lcl": 4.4}
    )
    limits = c["current_limits"]
    assert math.isclose(limits["sigma"], 1.2 / 6 * 2)  # (ucl - lcl) / 6 * sqrt(4)
    assert math.isclose(limits["ucl"], 5.6) and math.isclose(limits["lcl"], 4.4)
    assert limits["subgroup_size"] == 4 and limits["dispersion_ucl"] > limits["dispersion_center"]
    assert api.characteristic(name="no limits")["current_limits"] is None


def test_listed_rules_are_stored_the_rest_follow_the_plugin_defaults(api: Api) -> None:
    c = api.characteristic(
        rules=[
            {"rule_key": "nelson.2", "params": {"k": 7}, "severity": "CRITICAL"},
            {"rule_key": "nelson.1", "chart": "dispersion", "enabled": False},
            {"rule_key": "westgard.2_2s", "params": {"limit": 2.5}},
        ]
    )
    shift = effective(c, "nelson.2")
    assert (shift["params"], shift["severity"], shift["customized"]) == ({"k": 7}, "CRITICAL", True)
    assert not effective(c, "nelson.1", "dispersion")["enabled"]
    assert effective(c, "nelson.1", "dispersion")["severity"] == "CRITICAL"  # the rule's default
    westgard = effective(c, "westgard.2_2s")
    assert westgard["enabled"] and westgard["params"] == {"count": 2, "limit": 2.5}
    assert effective(c, "nelson.1")["customized"] is False
    with api.kernel.engine.connect() as conn:
        rows = conn.execute(
            select(m.CharacteristicRule.rule_key, m.CharacteristicRule.params).order_by(
                m.CharacteristicRule.rule_key
            )
        ).all()
    # only the listed rules are stored, with only the parameters given
    assert [tuple(r) for r in rows] == [
        ("nelson.1", {}),
        ("nelson.2", {"k": 7}),
        ("westgard.2_2s", {"limit": 2.5}),
    ]


def test_validation_errors_name_the_field(api: Api) -> None:
    line = api.node()
    base = {"hierarchy_id": line, "name": "X", "chart_type": "imr", "subgroup_size": 1}
    cases: list[tuple[dict[str, Any], list[Any]]] = [
        ({"subgroup_size": 2}, ["body", "subgroup_size"]),
        ({"chart_type": "xbar_r"}, ["body", "subgroup_size"]),
        ({"chart_type": "xbar_s", "subgroup_size": 26}, ["body", "subgroup_size"]),
        ({"chart_type": "g"}, ["body", "chart_type"]),
        ({"chart_type": "ewma", "subgroup_size": 26}, ["body", "subgroup_size"]),
        (
            {"chart_type": "ewma", "chart_params": {"lambda": 1.5}},
            ["body", "chart_params", "lambda"],
        ),
        ({"chart_type": "cusum", "chart_params": {"q": 1}}, ["body", "chart_params", "q"]),
        ({"chart_params": {"lambda": 0.2}}, ["body", "chart_params"]),
        ({"usl": 1.0, "lsl": 1.0}, ["body", "lsl"]),
        ({"usl": 2.0, "lsl": 1.0, "target": 3.0}, ["body", "target"]),
        ({"source": "TAG"}, ["body", "tag"]),
        ({"source": "TAG", "tag": "opc://line1/x"}, ["body", "tag"]),
        ({"source": "TAG", "tag": "sparkplug://g/n"}, ["body", "tag"]),
        ({"source": "TAG", "tag": "mqtt://a/+/b"}, ["body", "tag"]),
        ({"tag": "mqtt://line1/d"}, ["body", "tag"]),
        ({"source": "TAG", "tag": "mqtt://line1/d#rejects?size=n"}, ["body", "tag"]),
        ({"hierarchy_id": 999}, ["body", "hierarchy_id"]),
        ({"name": ""}, ["body", "name"]),
        ({"decimal_places": 11}, ["body", "decimal_places"]),
        ({"sampling_interval_minutes": 0}, ["body", "sampling_interval_minutes"]),
        ({"baseline_subgroups": 1}, ["body", "baseline_subgroups"]),
        ({"limits": {"center_line": 1.0}}, ["body", "limits"]),
        ({"limits": {"center_line": 1.0, "sigma": -1}}, ["body", "limits", "sigma"]),
        ({"rules": [{"rule_key": "nelson.99"}]}, ["body", "rules", 0, "rule_key"]),
        (
            {"rules": [{"rule_key": "nelson.1", "params": {"k": 0}}]},
            ["body", "rules", 0, "params", "k"],
        ),
        (
            {"rules": [{"rule_key": "nelson.2", "params": {"k": "many"}}]},
            ["body", "rules", 0, "params", "k"],
        ),
        (
            {"rules": [{"rule_key": "nelson.1", "params": {"kk": 2}}]},
            ["body", "rules", 0, "params", "kk"],
        ),
        (
            {"rules": [{"rule_key": "nelson.5", "chart": "dispersion"}]},
            ["body", "rules", 0, "chart"],
        ),
        (
            {"rules": [{"rule_key": "westgard.1_3s", "chart": "dispersion"}]},
            ["body", "rules", 0, "chart"],
        ),
        (
            {"rules": [{"rule_key": "nelson.3"}, {"rule_key": "nelson.3", "enabled": False}]},
            ["body", "rules", 1, "rule_key"],
        ),
        (
            {"rules": [{"rule_key": "nelson.1", "severity": "LOW"}]},
            ["body", "rules", 0, "severity"],
        ),
        ({"colour": "red"}, ["body", "colour"]),
    ]
    for change, loc in cases:
        r = api.post("/characteristics", {**base, **change})
        assert loc in locs(r), (change, r.json())
    several = api.post("/characteristics", {**base, "subgroup_size": 3, "usl": 0.0, "lsl": 1.0})
    assert locs(several) == [["body", "subgroup_size"], ["body", "lsl"]]
    with api.kernel.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.Characteristic)).scalar() == 0


def test_names_per_node_and_tags_are_unique(api: Api) -> None:
    line = api.node()
    tag = "sparkplug://Plant/Edge1/Press/Force"
    first = api.characteristic(name="Force", hierarchy_id=line, source="TAG", tag=tag)
    same_name = api.post(
        "/characteristics",
        {"hierarchy_id": line, "name": "Force", "chart_type": "imr", "subgroup_size": 1},
    )
    assert same_name.status_code == 409 and "Force" in same_name.json()["detail"]
    same_tag = api.post(
        "/characteristics",
        {
            "hierarchy_id": line,
            "name": "Force 2",
            "chart_type": "imr",
            "subgroup_size": 1,
            "source": "TAG",
            "tag": tag,
        },
    )
    assert same_tag.status_code == 409 and str(first["id"]) in same_tag.json()["detail"]
    other = api.characteristic(name="Temp", hierarchy_id=line, source="TAG", tag="mqtt://l1/t#v")
    assert api.patch(f"/characteristics/{other['id']}", {"tag": tag}).status_code == 409
    assert api.patch(f"/characteristics/{other['id']}", {"name": "Force"}).status_code == 409
    elsewhere = api.characteristic(name="Force", hierarchy_id=api.node("Line 2"))  # fine
    assert elsewhere["name"] == "Force"


def test_list_filters_by_subtree_source_and_text(api: Api) -> None:
    site = api.node("Plant", "site")
    line1 = api.node("Line 1", "line", site)
    line2 = api.node("Line 2", "line", site)
    api.characteristic(name="Bore diameter", hierarchy_id=line1)
    api.characteristic(name="Weight", hierarchy_id=line2, description="net, 100% filled")
    api.characteristic(name="Force", hierarchy_id=line2, source="TAG", tag="mqtt://press/force")
    api.characteristic(name="Elsewhere")

    def listed(**params: Any) -> list[str]:
        r = api.get("/characteristics", **params)
        assert r.status_code == 200, r.text
        return [c["name"] for c in r.json()]

    assert listed() == ["Bore diameter", "Elsewhere", "Force", "Weight"]
    assert listed(hierarchy_id=site) == ["Bore diameter", "Force", "Weight"]
    assert listed(hierarchy_id=line2, source="MANUAL") == ["Weight"]
    assert listed(source="TAG") == ["Force"]
    assert listed(q="DIAM") == ["Bore diameter"]
    assert listed(q="press") == ["Force"]  # the tag
    assert listed(q="100%") == ["Weight"]  # % is not a wildcard
    assert listed(q="_") == []
    assert listed(hierarchy_id=9999) == []
    assert locs(api.get("/characteristics", source="IMPORT")) == [["query", "source"]]


def test_changes_are_audited_and_the_engine_follows_them(api: Api) -> None:
    c = api.characteristic(limits={"center_line": 0.0, "sigma": 1.0})
    cid = c["id"]
    assert [v["rule_key"] for v in api.submit(cid, [3.5])["violations"]] == ["nelson.1"]
    r = api.patch(
        f"/characteristics/{cid}",
        {
            "description": "bore at 20 °C",
            "usl": 4.0,
            "rules": [{"rule_key": "nelson.1", "enabled": False}],
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["description"] == "bore at 20 °C" and r.json()["usl"] == 4.0
    assert not effective(r.json(), "nelson.1")["enabled"]
    # the engine reloaded the characteristic: the same point no longer fires
    assert api.submit(cid, [3.5])["violations"] == []
    [*_, entry] = api.audit("characteristic")
    assert entry.action == "update" and entry.before["usl"] is None and entry.after["usl"] == 4.0
    assert entry.before["rules"] == [] and entry.after["rules"][0]["enabled"] is False

    # rules given again replace the stored ones; new limits are a new version in force
    r = api.patch(
        f"/characteristics/{cid}", {"rules": [], "limits": {"center_line": 10.0, "sigma": 1.0}}
    )
    assert not any(rule["customized"] for rule in r.json()["rules"])
    assert r.json()["current_limits"]["version"] == 2
    assert [v["rule_key"] for v in api.submit(cid, [6.5])["violations"]] == ["nelson.1"]
    audited = len(api.audit("characteristic"))
    unchanged = api.patch(f"/characteristics/{cid}", {"usl": 4.0})
    assert unchanged.json()["current_limits"]["version"] == 2
    assert len(api.audit("characteristic")) == audited  # nothing changed, nothing audited


def test_change_validation_conflicts_and_missing(api: Api) -> None:
    c = api.characteristic(usl=5.0, lsl=1.0)
    cid = c["id"]
    assert locs(api.patch(f"/characteristics/{cid}", {"name": None})) == [["body", "name"]]
    assert locs(api.patch(f"/characteristics/{cid}", {"rules": None})) == [["body", "rules"]]
    assert locs(api.patch(f"/characteristics/{cid}", {"lsl": 6.0})) == [["body", "lsl"]]
    assert locs(api.patch(f"/characteristics/{cid}", {"source": "TAG"})) == [["body", "tag"]]
    assert locs(api.patch(f"/characteristics/{cid}", {"subgroup_size": 3})) == [
        ["body", "subgroup_size"]
    ]
    assert locs(api.patch(f"/characteristics/{cid}", {"rules": [{"rule_key": "x"}]})) == [
        ["body", "rules", 0, "rule_key"]
    ]
    unbound = api.patch(f"/characteristics/{cid}", {"usl": None, "lsl": None})
    assert unbound.status_code == 200 and unbound.json()["usl"] is None
    tag = api.patch(f"/characteristics/{cid}", {"source": "TAG", "tag": "mqtt://a/b"})
    assert tag.status_code == 200 and tag.json()["tag"] == "mqtt://a/b"
    assert api.patch("/characteristics/999", {"name": "x"}).status_code == 404
    assert api.get("/characteristics/999").status_code == 404
    assert api.delete("/characteristics/999").status_code == 404


def test_chart_shape_is_fixed_once_samples_exist(api: Api) -> None:
    c = api.characteristic(
        chart_type="xbar_r", subgroup_size=5, limits={"center_line": 10.0, "sigma": 2.0}
    )
    cid = c["id"]
    # before the first sample the shape may change; the limits are redrawn for it
    r = api.patch(f"/characteristics/{cid}", {"chart_type": "xbar_s", "subgroup_size": 4})
    assert r.status_code == 200, r.text
    limits = r.json()["current_limits"]
    assert (limits["version"], limits["sigma"], limits["subgroup_size"]) == (2, 2.0, 4)
    assert math.isclose(limits["ucl"], 10.0 + 3 * 2.0 / 2)
    api.submit(cid, [10.0, 11.0, 9.0, 10.5])
    refused = api.patch(f"/characteristics/{cid}", {"subgroup_size": 5})
    assert refused.status_code == 409 and "samples" in refused.json()["detail"]
    assert api.patch(f"/characteristics/{cid}", {"chart_type": "xbar_r"}).status_code == 409
    same = api.patch(f"/characteristics/{cid}", {"chart_type": "xbar_s", "unit": "mm"})
    assert same.status_code == 200 and same.json()["unit"] == "mm"


def test_delete_only_without_samples(api: Api) -> None:
    kept = api.characteristic(name="Kept", limits={"center_line": 1.0, "sigma": 1.0})
    api.submit(kept["id"], [1.0])
    refused = api.delete(f"/characteristics/{kept['id']}")
    assert refused.status_code == 409 and "immutable" in refused.json()["detail"]
    # the database guards the limits of a sampled characteristic too (migration 0002)
    with pytest.raises(DatabaseError, match="immutable"), api.kernel.engine.begin() as conn:
        conn.execute(delete(m.ControlLimits))

    gone = api.characteristic(
        name="Gone",
        limits={"center_line": 1.0, "sigma": 1.0},
        rules=[{"rule_key": "nelson.2", "params": {"k": 7}}],
    )
    assert api.delete(f"/characteristics/{gone['id']}").status_code == 204
    assert api.get(f"/characteristics/{gone['id']}").status_code == 404
    with api.kernel.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(m.CharacteristicRule)).scalar() == 0
        limits = conn.execute(select(m.ControlLimits.characteristic_id)).scalars().all()
    assert limits == [kept["id"]]
    [*_, entry] = api.audit("characteristic")
    assert (entry.action, entry.entity_id, entry.before["name"]) == (
        "delete",
        str(gone["id"]),
        "Gone",
    )
    assert entry.before["rules"][0]["params"] == {"k": 7}


def test_due_lists_overdue_manual_characteristics_most_overdue_first(api: Api) -> None:
    line = api.node()
    now = datetime.now(UTC)
    never = api.characteristic(name="Never", hierarchy_id=line, sampling_interval_minutes=60)
    late = api.characteristic(name="Late", hierarchy_id=line, sampling_interval_minutes=60)
    later = api.characteristic(name="Later", sampling_interval_minutes=30)
    fresh = api.characteristic(name="Fresh", hierarchy_id=line, sampling_interval_minutes=60)
    api.characteristic(name="No interval", hierarchy_id=line)
    api.characteristic(
        name="Tag", hierarchy_id=line, source="TAG", tag="mqtt://x", sampling_interval_minutes=1
    )
    api.submit(late["id"], [1.0], timestamp=(now - timedelta(hours=5)).isoformat())
    api.submit(late["id"], [1.0], timestamp=(now - timedelta(hours=3)).isoformat())
    api.submit(later["id"], [1.0], timestamp=(now - timedelta(hours=4)).isoformat())
    api.submit(fresh["id"], [1.0], timestamp=(now - timedelta(minutes=10)).isoformat())

    due = api.get("/characteristics/due").json()
    assert [d["name"] for d in due] == ["Later", "Late", "Never"]
    by_name = {d["name"]: d for d in due}
    assert 209 <= by_name["Later"]["overdue_minutes"] <= 211  # 4 h old, 30 min interval
    assert 119 <= by_name["Late"]["overdue_minutes"] <= 121  # the newest sample counts
    assert by_name["Late"]["last_sample_at"].startswith((now - timedelta(hours=3)).isoformat()[:16])
    assert by_name["Never"]["last_sample_at"] is None and by_name["Never"]["id"] == never["id"]
    assert [d["name"] for d in api.get("/characteristics/due", hierarchy_id=line).json()] == [
        "Late",
        "Never",
    ]


def test_operators_read_engineers_write_anonymous_nothing(api: Api) -> None:
    c = api.characteristic()
    path = f"/characteristics/{c['id']}"
    for read in ("/characteristics", "/characteristics/due", path):
        assert api.get(read, role="operator").status_code == 200
        assert api.get(read, role=None).status_code == 401
    body = {"hierarchy_id": c["hierarchy_id"], "name": "N", "chart_type": "imr", "subgroup_size": 1}
    for role, status in (("operator", 403), (None, 401)):
        assert api.post("/characteristics", body, role=role).status_code == status
        assert api.patch(path, {"unit": "mm"}, role=role).status_code == status
        assert api.delete(path, role=role).status_code == status
    assert api.get(path).json()["unit"] is None
