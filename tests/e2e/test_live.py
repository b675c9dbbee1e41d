"""Live data in a real browser: a tag value from the Sparkplug B simulator (through a real
Mosquitto broker and the MQTT provider) appears on the open chart without a reload; and when
the WebSocket is down the page says so, keeps up by polling, and reconnects."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.server import ADMIN_PASSWORD, PASSWORDS, Api, LiveServer, live_server, seed

pytestmark = pytest.mark.e2e

GROUP, NODE, METRIC = "E2E", "Sim1", "Cell 1/Torque"


@contextmanager
def simulator(mqtt_url: str) -> Iterator[Any]:
    """The plugin's Sparkplug B edge node simulator, on its own event loop thread."""
    sim_module = pytest.importorskip("openspc_sparkplug.simulator")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="sparkplug-simulator", daemon=True)
    thread.start()
    config = sim_module.SimulatorConfig(
        group=GROUP, node=NODE, mqtt_url=mqtt_url, metrics=3, rate=2.0, seed=3
    )
    sim = sim_module.EdgeNodeSimulator(config)
    try:
        asyncio.run_coroutine_threadsafe(sim.start(), loop).result(15)
        yield sim
    finally:
        asyncio.run_coroutine_threadsafe(sim.stop(), loop).result(15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


@pytest.fixture
def mqtt_server(
    tmp_path: Path, mosquitto: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveServer]:
    pytest.importorskip("openspc_sparkplug.provider", reason="the MQTT provider is not installed")
    monkeypatch.setenv("OPENSPC_SPARKPLUG_BINDINGS_REFRESH", "1")
    with live_server(tmp_path, mqtt_url=mosquitto.url) as live:
        yield live


def test_simulated_tag_value_arrives_live(
    browser: Any, mqtt_server: LiveServer, mosquitto: Any, shoot: Any
) -> None:
    from tests.e2e.conftest import Browsing

    plant = seed(mqtt_server.base_url)
    admin = Api(mqtt_server.base_url, "admin", ADMIN_PASSWORD)
    torque = admin(
        "POST",
        "/characteristics",
        json={
            "hierarchy_id": plant.nodes["Line 1"],
            "name": "Spindle torque",
            "unit": "N·m",
            "decimal_places": 2,
            "chart_type": "imr",
            "subgroup_size": 1,
            "source": "TAG",
            "tag": f"sparkplug://{GROUP}/{NODE}/{METRIC}",
            "limits": {"center_line": 12.0, "sigma": 0.3},
        },
    )["id"]
    browsing = Browsing(browser, mqtt_server.base_url)
    try:
        page, _ = browsing.login("operator", path=f"/?c={torque}")
        expect(page.get_by_test_id("chart-panel")).to_contain_text("No samples yet.")
        with simulator(mosquitto.url):
            points = page.locator('[data-testid="point-primary"]')
            expect(points.first).to_be_visible(timeout=20_000)
            seen = points.count()
            # more keep arriving (about two a second) with no reload
            expect(points).not_to_have_count(seen, timeout=5_000)
            expect(page.get_by_test_id("chart-panel")).to_contain_text(
                "tag sparkplug://E2E/Sim1/Cell 1/Torque"
            )
            page.wait_for_timeout(3_000)
            shoot(page, "tag-live")
        problems = [e for c in browsing.consoles for e in c.unexpected()]
        assert not problems, f"console errors: {problems}"
    finally:
        browsing.close()


def test_offline_indicator_polling_and_reconnect(
    browsing: Any, server: LiveServer, shoot: Any
) -> None:
    plant = seed(server.base_url)
    bore = plant.characteristics["Bore diameter"]
    socket_up = {"allowed": True}
    sockets: list[Any] = []

    def route(ws: Any) -> None:
        if socket_up["allowed"]:
            ws.connect_to_server()
            sockets.append(ws)
        else:
            ws.close(code=1011, reason="test: server unreachable")

    page, console = browsing.page()
    console.allow(r"WebSocket")
    page.route_web_socket("**/api/v1/ws*", route)
    page.goto(f"/?c={bore}")
    from tests.e2e.conftest import login

    login(page, "operator")
    indicator = page.get_by_test_id("live-indicator")
    points = page.locator('[data-testid="point-primary"]')
    expect(points).to_have_count(40)

    # the socket goes down: the page says so ...
    socket_up["allowed"] = False
    sockets[-1].close(code=1011, reason="test: connection lost")
    expect(indicator).to_have_attribute("data-status", "offline", timeout=5_000)
    expect(indicator).to_contain_text("Offline")
    shoot(page, "offline")

    # ... and still shows new samples, by polling
    Api(server.base_url, "operator", PASSWORDS["operator"])(
        "POST", f"/characteristics/{bore}/samples", json={"measurements": [10.0] * 5}
    )
    expect(points).to_have_count(41, timeout=8_000)

    # the server is back: the page reconnects by itself
    socket_up["allowed"] = True
    expect(indicator).to_have_attribute("data-status", "live", timeout=15_000)
