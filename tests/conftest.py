"""Session-wide test ordering."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API leaves its event loop marked as running
    in the main thread, which would break every asyncio test after it."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
