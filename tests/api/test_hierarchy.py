"""The ISA-95 hierarchy API: the tree, create, rename, move (no cycles), delete, roles, audit."""

from __future__ import annotations

from typing import Any

import pytest

from openspc.db.repo import hierarchy as hierarchy_repo

from .conftest import Api, locs


def plant(api: Api) -> dict[str, int]:
    """Acme > Plant A > Machining > Line 1, Line 2; and a second enterprise."""
    ids = {"acme": api.node("Acme", "enterprise")}
    ids["plant"] = api.node("Plant A", "site", ids["acme"])
    ids["machining"] = api.node("Machining", "area", ids["plant"])
    ids["line2"] = api.node("Line 2", "line", ids["machining"])
    ids["line1"] = api.node("Line 1", "line", ids["machining"])
    ids["other"] = api.node("Other Co", "enterprise")
    return ids


def names(tree: list[dict[str, Any]]) -> list[Any]:
    return [(n["name"], names(n["children"])) if n["children"] else n["name"] for n in tree]


def test_whole_tree_nested_and_one_subtree(api: Api) -> None:
    ids = plant(api)
    tree = api.get("/hierarchy").json()
    assert names(tree) == [
        ("Acme", [("Plant A", [("Machining", ["Line 1", "Line 2"])])]),
        "Other Co",
    ]
    machining = tree[0]["children"][0]["children"][0]
    assert machining["id"] == ids["machining"] and machining["type"] == "area"
    assert machining["parent_id"] == ids["plant"]
    sub = api.get(f"/hierarchy/{ids['plant']}").json()
    assert sub["name"] == "Plant A" and names(sub["children"]) == [
        ("Machining", ["Line 1", "Line 2"])
    ]
    assert api.get("/hierarchy/9999").status_code == 404


def test_create_is_audited_and_checks_parent_type_and_fields(api: Api) -> None:
    ids = plant(api)
    r = api.post("/hierarchy", {"name": "  Cell 7 ", "type": "cell", "parent_id": ids["line1"]})
    assert r.status_code == 201 and r.json()["name"] == "Cell 7"
    [entry] = [e for e in api.audit("hierarchy") if e.entity_id == str(r.json()["id"])]
    assert (entry.actor, entry.action) == ("test-engineer", "create")
    assert entry.after == {"name": "Cell 7", "type": "cell", "parent_id": ids["line1"]}

    site_under_line = api.post(
        "/hierarchy", {"name": "S", "type": "site", "parent_id": ids["line1"]}
    )
    assert locs(site_under_line) == [["body", "type"]]
    assert "ISA-95" in site_under_line.json()["detail"][0]["msg"]
    assert locs(api.post("/hierarchy", {"name": "X", "type": "line", "parent_id": 999})) == [
        ["body", "parent_id"]
    ]
    assert locs(api.post("/hierarchy", {"name": " ", "type": "line"})) == [["body", "name"]]
    assert locs(api.post("/hierarchy", {"name": "X", "type": "plant"})) == [["body", "type"]]
    assert locs(api.post("/hierarchy", {"name": "X", "type": "line", "colour": 1})) == [
        ["body", "colour"]
    ]


def test_sibling_names_are_unique_at_every_level(api: Api) -> None:
    ids = plant(api)
    same_parent = api.post(
        "/hierarchy", {"name": "Line 1", "type": "line", "parent_id": ids["machining"]}
    )
    assert same_parent.status_code == 409 and "Line 1" in same_parent.json()["detail"]
    assert api.post("/hierarchy", {"name": "Acme", "type": "enterprise"}).status_code == 409
    assert api.node("Line 1", "line", ids["other"])  # another parent: fine
    rename = api.patch(f"/hierarchy/{ids['line2']}", {"name": "Line 1"})
    assert rename.status_code == 409
    move = api.patch(f"/hierarchy/{ids['line1']}", {"parent_id": ids["other"]})
    assert move.status_code == 409


def test_a_write_the_database_refuses_is_a_conflict(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent request can take the name between the check and the insert."""
    ids = plant(api)
    monkeypatch.setattr(hierarchy_repo, "sibling_named", lambda *a, **k: False)
    r = api.post("/hierarchy", {"name": "Line 1", "type": "line", "parent_id": ids["machining"]})
    assert r.status_code == 409


def test_rename_retype_and_move(api: Api) -> None:
    ids = plant(api)
    r = api.patch(f"/hierarchy/{ids['line2']}", {"name": "Assembly line"})
    assert r.status_code == 200 and r.json()["name"] == "Assembly line"
    moved = api.patch(f"/hierarchy/{ids['machining']}", {"parent_id": ids["other"]})
    assert moved.status_code == 200 and moved.json()["parent_id"] == ids["other"]
    assert names(api.get("/hierarchy").json()) == [
        ("Acme", ["Plant A"]),
        ("Other Co", [("Machining", ["Assembly line", "Line 1"])]),
    ]
    to_top = api.patch(f"/hierarchy/{ids['line1']}", {"parent_id": None})
    assert to_top.status_code == 200 and to_top.json()["parent_id"] is None
    assert api.patch(f"/hierarchy/{ids['line1']}", {"type": "cell"}).json()["type"] == "cell"
    [*_, entry] = api.audit("hierarchy")
    assert entry.action == "update" and (entry.before["type"], entry.after["type"]) == (
        "line",
        "cell",
    )
    assert api.patch(f"/hierarchy/{ids['line1']}", {"type": "cell"}).status_code == 200
    assert api.audit("hierarchy")[-1].id == entry.id  # nothing changed, nothing audited


def test_moves_that_would_break_the_tree_are_refused(api: Api) -> None:
    ids = plant(api)
    itself = api.patch(f"/hierarchy/{ids['acme']}", {"parent_id": ids["acme"]})
    under_descendant = api.patch(f"/hierarchy/{ids['plant']}", {"parent_id": ids["line1"]})
    for r in (itself, under_descendant):
        assert locs(r) == [["body", "parent_id"]] and "descendants" in r.json()["detail"][0]["msg"]
    assert locs(api.patch(f"/hierarchy/{ids['line1']}", {"parent_id": 999})) == [
        ["body", "parent_id"]
    ]
    elsewhere = api.node("Line 9", "line", ids["other"])
    area_under_line = api.patch(f"/hierarchy/{ids['machining']}", {"parent_id": elsewhere})
    assert locs(area_under_line) == [["body", "type"]]
    below = api.patch(f"/hierarchy/{ids['machining']}", {"type": "equipment"})
    assert locs(below) == [["body", "type"]] and "line" in below.json()["detail"][0]["msg"]
    assert locs(api.patch(f"/hierarchy/{ids['line1']}", {"name": None})) == [["body", "name"]]
    assert api.patch("/hierarchy/999", {"name": "x"}).status_code == 404
    assert names(api.get("/hierarchy").json())[0] == (
        "Acme",
        [("Plant A", [("Machining", ["Line 1", "Line 2"])])],
    )


def test_delete_refuses_nodes_with_children_or_characteristics(api: Api) -> None:
    ids = plant(api)
    api.characteristic(name="Bore", hierarchy_id=ids["line1"])
    with_children = api.delete(f"/hierarchy/{ids['machining']}")
    assert with_children.status_code == 409
    assert "2 child node(s) and 1 characteristic(s)" in with_children.json()["detail"]
    assert api.delete(f"/hierarchy/{ids['line1']}").status_code == 409
    assert api.delete(f"/hierarchy/{ids['line2']}").status_code == 204
    assert api.get(f"/hierarchy/{ids['line2']}").status_code == 404
    assert api.delete(f"/hierarchy/{ids['line2']}").status_code == 404
    [*_, entry] = api.audit("hierarchy")
    assert (entry.action, entry.entity_id, entry.before["name"]) == (
        "delete",
        str(ids["line2"]),
        "Line 2",
    )


def test_operators_read_engineers_write_anonymous_nothing(api: Api) -> None:
    ids = plant(api)
    assert api.get("/hierarchy", role="operator").status_code == 200
    assert api.get(f"/hierarchy/{ids['acme']}", role="operator").status_code == 200
    body = {"name": "X", "type": "site", "parent_id": ids["acme"]}
    assert api.post("/hierarchy", body, role="operator").status_code == 403
    assert api.patch(f"/hierarchy/{ids['acme']}", {"name": "Y"}, role="operator").status_code == 403
    assert api.delete(f"/hierarchy/{ids['line2']}", role="operator").status_code == 403
    assert api.get("/hierarchy", role=None).status_code == 401
    assert api.get(f"/hierarchy/{ids['acme']}", role=None).status_code == 401
    assert api.post("/hierarchy", body, role=None).status_code == 401
    assert api.patch(f"/hierarchy/{ids['acme']}", {"name": "Y"}, role=None).status_code == 401
    assert api.delete(f"/hierarchy/{ids['line2']}", role=None).status_code == 401
