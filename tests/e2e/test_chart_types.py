"""The attribute and time-weighted charts in a real browser against a real server: counts
entered in the entry form land on a p chart whose limits follow each sample's size, the point
beyond its UCL marked; an EWMA chart shows its statistic against limits that widen over the
first points; a CUSUM chart shows both sums against ±H."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.server import PASSWORDS, Api, LiveServer, Plant

pytestmark = pytest.mark.e2e


def create(server: LiveServer, plant: Plant, **config: Any) -> int:
    engineer = Api(server.base_url, "engineer", PASSWORDS["engineer"])
    body = {"hierarchy_id": plant.nodes["Line 1"], "sampling_interval_minutes": 60, **config}
    return int(engineer("POST", "/characteristics", json=body)["id"])


def history(server: LiveServer, cid: int, values: list[float]) -> None:
    operator = Api(server.base_url, "operator", PASSWORDS["operator"])
    start = datetime.now(UTC) - timedelta(minutes=10 * (len(values) + 1))
    samples = [
        {"timestamp": (start + timedelta(minutes=10 * k)).isoformat(), "measurements": [v]}
        for k, v in enumerate(values)
    ]
    operator("POST", f"/characteristics/{cid}/samples/batch", json={"samples": samples})


def test_p_chart_counts_entered_in_the_form_and_a_point_beyond_ucl(
    browsing: Any, server: LiveServer, plant: Plant, shoot: Any
) -> None:
    # p̄ = 0.1 by hand: at n = 50 the UCL is 0.1 + 3·√(0.1·0.9/50) = 0.227
    defects = create(
        server,
        plant,
        name="Solder defects",
        chart_type="p",
        subgroup_size=50,
        limits={"center_line": 0.1},
    )
    page, _ = browsing.login("operator", path=f"/?c={defects}")
    panel = page.get_by_test_id("chart-panel")
    expect(panel).to_contain_text("p chart · n = 50 items (default)")
    expect(page.get_by_test_id("current-cl")).to_have_text("0.100")
    expect(page.get_by_test_id("current-ucl")).to_have_text("0.227")
    expect(page.get_by_test_id("process-average")).to_contain_text("10.00 %")

    def enter(count: str, size: str | None) -> Any:
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_label("Nonconforming items")).to_be_focused()
        page.keyboard.type(count)
        page.keyboard.press("Enter")
        expect(dialog.get_by_label("Items inspected")).to_be_focused()
        if size:
            page.keyboard.type(size)
        page.keyboard.press("Enter")
        return page.get_by_test_id("entry-result")

    page.get_by_role("button", name="Enter sample", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label(re.compile("Measurement|Value"))).to_have_count(0)
    # checked before sending: more nonconforming items than the 50 inspected
    dialog.get_by_label("Nonconforming items").fill("60")
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_text("At most the 50 items inspected")).to_be_visible()
    dialog.get_by_label("Nonconforming items").fill("")
    dialog.get_by_label("Nonconforming items").focus()

    expect(enter("4", None)).to_contain_text("p = 0.080 (4 in 50 items)")
    expect(page.get_by_test_id("entry-no-violations")).to_be_visible()
    page.get_by_role("button", name="Enter another").click()
    # a larger sample: its limits are narrower (0.1 + 3·√(0.1·0.9/80) = 0.201)
    expect(enter("12", "80")).to_contain_text("p = 0.150 (12 in 80 items)")
    page.get_by_role("button", name="Enter another").click()
    # 15 of 50 = 0.3, beyond the UCL of 0.227: rule 1
    enter("15", None)
    shoot(page, "p-chart-entry")
    result = page.get_by_test_id("entry-violations")
    expect(result).to_contain_text("Rule 1: Beyond limits")
    expect(result).to_contain_text("CRITICAL")
    page.get_by_role("button", name="Close", exact=True).click()

    points = page.locator('[data-testid="point-primary"]')
    expect(points).to_have_count(3)
    expect(page.get_by_test_id("chart-dispersion")).to_have_count(0)
    marked = page.locator('[data-testid="point-primary"][data-severity="CRITICAL"]')
    expect(marked).to_have_count(1)
    expect(marked).to_have_attribute("data-rules", re.compile(r"\bnelson\.1\b"))
    expect(marked).to_have_attribute(
        "data-sample-id", points.nth(2).get_attribute("data-sample-id")
    )
    # the 12-of-80 point was inside its own, narrower limits (0.150 < 0.201)
    expect(points.nth(1)).to_have_attribute("data-severity", "none")
    points.nth(1).hover()
    expect(page.locator(".chart-tooltip").first).to_contain_text("UCL 0.201")
    marked.hover()
    tooltip = page.locator(".chart-tooltip").first
    expect(tooltip).to_contain_text("p = 0.300 (15 in 50 items)")
    expect(tooltip).to_contain_text("Rule 1: Beyond limits")
    shoot(page, "p-chart")


def ewma_ucl(i: int, lam: float = 0.2, L: float = 3.0, sigma: float = 1.0) -> float:
    """The exact EWMA limit at the i-th point (1-based) around target 10."""
    return 10 + L * sigma * math.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * i)))


def test_ewma_and_cusum_charts_show_their_statistics_and_limits(
    browsing: Any, server: LiveServer, plant: Plant, shoot: Any
) -> None:
    in_control = [10.2, 9.6, 10.1, 9.9, 10.4, 9.8, 10.0, 10.3]
    shifted = [11.4, 11.6, 11.2, 11.8, 11.5, 11.7, 11.6, 11.9]  # +1.5 σ
    values = [*in_control, *shifted]
    ewma = create(
        server,
        plant,
        name="Oven temperature",
        unit="°C",
        decimal_places=2,
        chart_type="ewma",
        subgroup_size=1,
        chart_params={"lambda": 0.2, "L": 3},
        limits={"center_line": 10, "sigma": 1},
    )
    history(server, ewma, values)
    page, _ = browsing.login("operator", path=f"/?c={ewma}")
    panel = page.get_by_test_id("chart-panel")
    expect(panel).to_contain_text("EWMA · λ = 0.2 · L = 3 · n = 1")
    strip = page.get_by_test_id("limits-strip")
    expect(strip).to_contain_text("target")
    expect(page.get_by_test_id("current-cl")).to_have_text("10.00")
    expect(page.get_by_test_id("current-ucl")).to_have_text("11.00")  # steady state
    expect(page.get_by_test_id("chart-dispersion")).to_have_count(0)
    expect(page.get_by_test_id("chart-legend")).to_contain_text("EWMA")

    points = page.locator('[data-testid="point-primary"]')
    expect(points).to_have_count(len(values))
    expect(page.locator('[data-testid="point-primary"][data-series="raw"]')).to_have_count(0)
    # the statistic is plotted, against the exact limits of its step (narrow at first)
    points.first.hover()
    tooltip = page.locator(".chart-tooltip").first
    expect(tooltip).to_contain_text("EWMA = 10.04 (x = 10.20)")
    expect(tooltip).to_contain_text(f"UCL {ewma_ucl(1):.2f}")
    points.nth(len(values) - 1).hover()
    expect(tooltip).to_contain_text(f"UCL {ewma_ucl(len(values)):.2f}")
    # the shift of 1.5 σ drives the EWMA beyond its UCL: rule 1, the only rule on an EWMA
    signals = page.locator('[data-testid="point-primary"][data-severity="CRITICAL"]')
    expect(signals.first).to_have_attribute("data-rules", "nelson.1")
    assert signals.count() >= 3
    shoot(page, "ewma-chart")

    cusum = create(
        server,
        plant,
        name="Shaft runout",
        unit="µm",
        decimal_places=2,
        chart_type="cusum",
        subgroup_size=1,
        limits={"center_line": 10, "sigma": 1},
    )
    history(server, cusum, [10.1, 9.8, 10.0, 8.6, 8.4, 8.7, 8.5, 8.3, 8.6])
    page.goto(f"/?c={cusum}")
    expect(page.get_by_test_id("chart-panel")).to_contain_text("CUSUM · k = 0.5 · h = 5 · n = 1")
    expect(page.get_by_test_id("current-ucl")).to_have_text("5.00")  # +H = h·σ
    upper = page.locator('[data-testid="point-primary"]')
    lower = page.locator('[data-testid="point-primary-lower"]')
    expect(upper).to_have_count(9)
    expect(lower).to_have_count(9)
    # the downward shift is signalled on the lower sum (−C⁻ below −H), not on C⁺
    expect(lower.last).to_have_attribute("data-severity", "CRITICAL")
    expect(upper.last).to_have_attribute("data-severity", "none")
    lower.last.hover()
    expect(page.locator(".chart-tooltip").first).to_contain_text("C⁻ = ")
    shoot(page, "cusum-chart")
