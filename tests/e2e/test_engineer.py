"""The engineer's configuration in a real browser against a real server: change a rule's K and
see it take effect on the next sample, recalculate limits with a preview, edit the hierarchy
and a characteristic, exclude a sample from the chart."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.server import PASSWORDS, Api, LiveServer, Plant

pytestmark = pytest.mark.e2e


def test_rule_k_takes_effect(browsing: Any, server: LiveServer, plant: Plant, shoot: Any) -> None:
    weight = plant.characteristics["Fill weight"]
    operator = Api(server.base_url, "operator", PASSWORDS["operator"])
    # 2.5 sigma above the center line: inside the limits while rule 1 has K = 3
    before = operator("POST", f"/characteristics/{weight}/samples", json={"measurements": [503.0]})
    assert "nelson.1" not in {v["rule_key"] for v in before["violations"]}

    page, _ = browsing.login("engineer", path=f"/config?c={weight}&tab=rules")
    row = page.get_by_test_id("rule-primary-nelson.1")
    k = row.get_by_label("K")
    expect(k).to_have_value("3")
    expect(row).to_contain_text("default 3")
    k.fill("0")
    expect(row).to_contain_text("K must be > 0")
    expect(page.get_by_role("button", name="Save rules")).to_be_disabled()
    k.fill("2")
    shoot(page, "rules")
    page.get_by_role("button", name="Save rules").click()
    expect(page.get_by_text("Rules saved")).to_be_visible()
    page.reload()
    expect(page.get_by_test_id("rule-primary-nelson.1").get_by_label("K")).to_have_value("2")

    # the same value now breaks rule 1, entered by the operator in the browser
    op, _ = browsing.login("operator", path=f"/?c={weight}")
    op.get_by_role("button", name="Enter sample", exact=True).click()
    op.get_by_label("Value (g)").fill("503.0")
    op.get_by_label("Value (g)").press("Enter")
    expect(op.get_by_test_id("entry-violations")).to_contain_text("Rule 1: Beyond limits")
    op.get_by_role("button", name="Close", exact=True).click()
    expect(op.locator('[data-testid="point-primary"][data-rules~="nelson.1"]')).to_have_count(1)


def test_recalculate_limits_with_preview(
    browsing: Any, server: LiveServer, plant: Plant, shoot: Any
) -> None:
    bore = plant.characteristics["Bore diameter"]
    page, _ = browsing.login("engineer", path=f"/config?c={bore}&tab=limits")
    expect(page.get_by_test_id("limits-history").locator("tbody tr")).to_have_count(1)
    ucl_before = page.get_by_test_id("current-ucl").inner_text()

    # the range: from the 6th point shown to the last
    page.locator('[data-testid="point-primary"]').nth(5).click()
    sample = page.locator('[data-testid="point-primary"]').nth(5).get_attribute("data-sample-id")
    page.get_by_role("button", name="selected point").first.click()
    expect(page.get_by_label("From sample #")).to_have_value(sample or "")
    page.get_by_label("Comment").first.fill("phase I after setup")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_test_id("limits-preview")
    expect(preview).to_contain_text("35 samples")
    expect(page.locator(".preview-line")).to_have_count(6)  # UCL', CL', LCL' on both charts
    page.locator('[data-testid="chart-panel"]').evaluate(
        "el => { const m = el.closest('.config-main');"
        " m.scrollTop += el.getBoundingClientRect().top - m.getBoundingClientRect().top; }"
    )
    shoot(page, "limits-preview")
    page.get_by_role("button", name="Save new limits").click()
    expect(page.get_by_text("Saved limits version 2.")).to_be_visible()
    expect(page.locator(".preview-line")).to_have_count(0)
    history = page.get_by_test_id("limits-history").locator("tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("recalculated")
    expect(history.first).to_contain_text("phase I after setup")
    expect(page.get_by_test_id("current-ucl")).not_to_have_text(ucl_before)

    # limits by hand
    page.get_by_label("Center line").fill("10.01")
    page.get_by_label("Process σ").fill("0.02")
    page.get_by_role("button", name="Set limits").click()
    expect(page.get_by_text("Saved limits version 3 (manual).")).to_be_visible()
    expect(page.get_by_test_id("current-cl")).to_have_text("10.010")

    # new samples are judged against the new limits; the change is drawn as a step
    operator = Api(server.base_url, "operator", PASSWORDS["operator"])
    operator("POST", f"/characteristics/{bore}/samples", json={"measurements": [10.01] * 5})
    expect(page.locator('[data-testid="point-primary"]')).to_have_count(41)
    shoot(page, "limits")


def test_exclude_a_sample_from_the_chart(browsing: Any, plant: Plant) -> None:
    bore = plant.characteristics["Bore diameter"]
    page, _ = browsing.login("engineer", path=f"/?c={bore}")
    point = page.locator('[data-testid="point-primary"]').nth(10)
    sample = point.get_attribute("data-sample-id")
    point.click()
    page.get_by_role("button", name="Exclude sample…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Exclude").click()
    expect(dialog.get_by_text("Give a reason.")).to_be_visible()
    dialog.get_by_label("Reason").fill("gauge dropped")
    dialog.get_by_role("button", name="Exclude").click()
    excluded = page.locator(f'[data-testid="point-primary"][data-sample-id="{sample}"]')
    expect(excluded).to_have_attribute("data-excluded", "true")
    page.get_by_role("button", name="Include sample…").click()
    page.get_by_role("dialog").get_by_label("Reason").fill("gauge checked, value is good")
    page.get_by_role("dialog").get_by_role("button", name="Include").click()
    expect(excluded).to_have_attribute("data-excluded", "false")


def test_hierarchy_and_characteristic_editing(browsing: Any, plant: Plant, shoot: Any) -> None:
    page, console = browsing.login("engineer", path="/config")
    console.allow(r"status of 409")  # deleting a node that still has children
    console.allow(r"status of 422")  # the server's own check of the tag below
    page.get_by_test_id(f"node-{plant.nodes['Machining']}").click()
    page.get_by_role("button", name="+ Child").click()
    page.get_by_label("Name", exact=True).fill("Line 3")
    page.get_by_role("dialog").get_by_role("button", name="Add").click()
    new_line = page.get_by_role("button", name="Line 3 line")
    expect(new_line).to_be_visible()

    new_line.click()
    page.get_by_role("button", name="Rename").click()
    page.get_by_label("Name", exact=True).fill("Line 3 (grinding)")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect(page.get_by_role("button", name="Line 3 (grinding) line")).to_be_visible()

    page.get_by_role("button", name="Line 3 (grinding) line").click()
    page.get_by_role("button", name="Move").click()
    page.get_by_label("New parent").select_option(str(plant.nodes["Filling"]))
    page.get_by_role("dialog").get_by_role("button", name="Move").click()

    # a characteristic on it, checked before it is sent
    page.get_by_role("button", name="Line 3 (grinding) line").click()
    page.get_by_role("button", name="+ Characteristic").click()
    form = page.get_by_role("form", name="New characteristic")
    form.get_by_role("button", name="Create characteristic").click()
    expect(form.get_by_text("Required").first).to_be_visible()
    form.get_by_label("Name", exact=True).fill("Flatness")
    form.get_by_label("Chart type").select_option("imr")
    expect(form.get_by_label("Subgroup size")).to_have_value("1")
    form.get_by_label("LSL (lower spec limit)").fill("0.05")
    form.get_by_label("USL (upper spec limit)").fill("0.01")
    form.get_by_role("button", name="Create characteristic").click()
    expect(form.get_by_text("LSL must be below USL")).to_be_visible()
    form.get_by_label("LSL (lower spec limit)").fill("")
    form.get_by_label("USL (upper spec limit)").fill("0.05")
    form.get_by_label("Unit").fill("mm")
    form.get_by_label("Decimal places").fill("3")
    form.get_by_label("Source").select_option("TAG")
    form.get_by_label("Tag binding").fill("mqtt://plant/line3/flatness#value")
    shoot(page, "characteristic-form")
    form.get_by_role("button", name="Create characteristic").click()
    expect(page.get_by_role("tab", name="Rules")).to_be_visible()
    expect(page.get_by_role("heading", name="Flatness")).to_be_visible()

    # deleting a node that is not empty is refused, with the server's reason
    page.get_by_test_id(f"node-{plant.nodes['Filling']}").click()
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("dialog").get_by_role("alert")).to_contain_text("child node")
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    shoot(page, "hierarchy")


def test_reason_codes_and_users_by_role(browsing: Any, plant: Plant, shoot: Any) -> None:
    page, _ = browsing.login("engineer", path="/config")
    expect(page.get_by_role("tab", name="Reason codes")).to_be_visible()
    expect(page.get_by_role("tab", name="Users")).to_have_count(0)
    page.get_by_role("tab", name="Reason codes").click()
    page.get_by_label("Code", exact=True).fill("coolant")
    page.get_by_label("Label", exact=True).fill("Coolant concentration")
    page.get_by_role("button", name="Add reason code").click()
    expect(page.get_by_role("cell", name="COOLANT", exact=True)).to_be_visible()

    admin, _ = browsing.login("admin", path="/config?section=users")
    admin.get_by_label("User name", exact=True).fill("shift-lead")
    admin.get_by_label("Password", exact=True).fill("lead-password-1")
    admin.get_by_label("Role", exact=True).select_option("engineer")
    admin.get_by_role("button", name="Add user").click()
    expect(admin.get_by_label("Role of shift-lead")).to_have_value("engineer")
    shoot(admin, "users")

    lead, _ = browsing.page()
    lead.goto("/")
    lead.fill("#login-username", "shift-lead")
    lead.fill("#login-password", "lead-password-1")
    lead.click("button[type=submit]")
    expect(lead.get_by_role("link", name="Configuration")).to_be_visible()
