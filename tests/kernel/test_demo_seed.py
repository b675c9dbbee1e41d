"""The demo plant that ``make demo`` seeds through the REST API: every chart type with
textbook history gets its limits and violations."""

from __future__ import annotations

from typing import Any

from openspc.demo import Api, seed
from openspc.testing.fixtures import TEST_ADMIN_PASSWORD


def test_demo_plant_seeds_every_chart_type(app_client: Any) -> None:
    app_client.base_url = "http://testserver/api/v1"  # the app's own client: its event loop
    api = Api(app_client, TEST_ADMIN_PASSWORD)
    seed(api)
    characteristics = {c["name"]: c for c in api.get("/characteristics")}
    assert {c["chart_type"] for c in characteristics.values()} == {
        "xbar_r",
        "xbar_s",
        "imr",
        "p",
        "c",
        "ewma",
    }
    seals = characteristics["Can seal nonconforming"]
    assert seals["current_limits"]["method"] == "baseline"
    flagged = api.get(f"/violations?characteristic_id={seals['id']}&limit=100")["items"]
    assert flagged, "the orange-juice history breaks rule 1 after its baseline"
    assert characteristics["Oven Temperature"]["chart_params"] == {"lambda": 0.2, "L": 3.0}
    seed(api)  # a second start finds the plant and adds nothing
    assert len(api.get("/characteristics")) == len(characteristics)
