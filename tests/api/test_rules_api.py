"""``GET /rules``: every installed rule with its declared shape, for the rule settings UI."""

from __future__ import annotations

from .conftest import Api


def test_lists_every_installed_rule_with_its_shape(api: Api) -> None:
    r = api.get("/rules")
    assert r.status_code == 200
    rules = {rule["key"]: rule for rule in r.json()}
    assert [rule["key"] for rule in r.json()] == sorted(api.kernel.registry.rules)
    assert {f"nelson.{i}" for i in range(1, 9)} | {"westgard.1_3s", "westgard.2_2s"} <= set(rules)

    beyond = rules["nelson.1"]
    assert (beyond["rule_id"], beyond["name"], beyond["default_severity"], beyond["sided"]) == (
        1,
        "Beyond limits",
        "CRITICAL",
        True,
    )
    assert beyond["applies_to"] == ["attribute", "dispersion", "location", "time_weighted"]
    assert beyond["defaults"] == {"k": 3.0} and beyond["lookback"] == 1
    k = beyond["params_schema"]["properties"]["k"]
    assert k["type"] == "number" and k["default"] == 3.0 and k["exclusiveMinimum"] == 0
    assert beyond["tags"] == ["nelson"] and beyond["description"]

    five = rules["nelson.5"]
    assert five["applies_to"] == ["attribute", "location"]
    assert five["enabled_by_default_on"] == ["location"]
    assert (five["defaults"], five["lookback"]) == ({"k": 2}, 3)  # 2 of the last 3
    assert rules["nelson.2"]["lookback"] == 9

    two_two = rules["westgard.2_2s"]
    assert (two_two["rule_id"], two_two["enabled_by_default_on"]) == (0, [])
    assert two_two["defaults"] == {"count": 2, "limit": 2.0} and two_two["lookback"] == 2
    assert set(two_two["params_schema"]["properties"]) == {"count", "limit"}


def test_operators_may_read_the_rules_anonymous_may_not(api: Api) -> None:
    assert api.get("/rules", role="operator").status_code == 200
    assert api.get("/rules", role=None).status_code == 401
