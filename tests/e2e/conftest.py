"""Fixtures of the browser tests: a real server with a real database (``server.py``), and a
real headless Chromium (the Debian package, launched by path: no browser download) whose
pages fail the test on any console error."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import PASSWORDS, LiveServer, Plant, live_server, seed, web_built

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "frontend" / "e2e" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1920, "height": 1080}, "tablet": {"width": 1280, "height": 800}}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not web_built():
        pytest.skip(
            "the web app is not built (openspc/web/index.html): run `npm run build` in frontend/"
        )
    chromium = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if not chromium:
        pytest.skip("Chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with live_server(tmp_path) as live:
        yield live


@pytest.fixture
def plant(server: LiveServer) -> Plant:
    return seed(server.base_url)


@dataclass
class Console:
    """Console errors and uncaught exceptions of a page; expected ones are allowed by pattern."""

    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


@dataclass
class Browsing:
    """Opens pages (each in its own context: its own login) and checks their consoles."""

    browser: Any
    base_url: str
    consoles: list[Console] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)

    def page(self, viewport: str = "desktop") -> tuple[Any, Console]:
        context = self.browser.new_context(viewport=VIEWPORTS[viewport], base_url=self.base_url)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        console = Console()
        page.on("console", lambda m: m.type == "error" and console.errors.append(m.text))
        page.on("pageerror", lambda e: console.errors.append(f"uncaught: {e}"))
        self.consoles.append(console)
        return page, console

    def login(
        self, role: str = "operator", viewport: str = "desktop", path: str = "/"
    ) -> tuple[Any, Console]:
        page, console = self.page(viewport)
        page.goto(path)
        login(page, role)
        return page, console

    def close(self) -> None:
        for c in self.contexts:
            c.close()


def login(page: Any, role: str) -> None:
    page.fill("#login-username", role)
    page.fill("#login-password", PASSWORDS[role])
    page.click("button[type=submit]")
    page.wait_for_selector('[data-testid="current-user"]')
    # the socket is up: live updates from here on
    page.wait_for_selector('[data-testid="live-indicator"][data-status="live"]')


@pytest.fixture
def browsing(browser: Any, server: LiveServer) -> Iterator[Browsing]:
    b = Browsing(browser, server.base_url)
    try:
        yield b
    finally:
        b.close()
    problems = [e for c in b.consoles for e in c.unexpected()]
    assert not problems, f"console errors: {problems}"


@pytest.fixture
def shoot() -> Callable[[Any, str], list[Path]]:
    """Save screenshots for the README under frontend/e2e/screenshots/, at the control-room
    size (1920×1080) and the tablet size (1280×800), whatever size the test runs at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> list[Path]:
        original = page.viewport_size
        paths = []
        for size in (VIEWPORTS["desktop"], VIEWPORTS["tablet"]):
            if page.viewport_size != size:
                page.set_viewport_size(size)
                page.wait_for_timeout(400)  # charts measure their new width
            path = SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png"
            page.screenshot(path=str(path))
            paths.append(path)
        if page.viewport_size != original:
            page.set_viewport_size(original)
            page.wait_for_timeout(200)
        return paths

    return take
