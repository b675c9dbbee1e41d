"""A failing endpoint never slows the pipeline, nor the other webhooks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from openspc.testing.builders import Plant

from .conftest import App, Receiver

TIMEOUT = 3.0


def submission_times(app: App, characteristic_ids: list[int]) -> list[float]:
    """Seconds each submission took (each one causes exactly one violation)."""
    took = []
    for cid in characteristic_ids:
        started = time.perf_counter()
        assert len(app.submit(cid, 5.0)["violations"]) == 1
        took.append(time.perf_counter() - started)
    return took


def test_a_hanging_endpoint_slows_neither_submissions_nor_other_webhooks(
    start_app: Callable[..., App], plant: Plant, receiver: Receiver, another_receiver: Receiver
) -> None:
    app = start_app(max_attempts=1, per_endpoint_concurrency=2, max_concurrency=8)
    characteristics = [plant.characteristic(f"c{i}") for i in range(16)]
    healthy = app.create_webhook(another_receiver.url)
    submission_times(app, characteristics[:1])  # warm-up (and the operator's login)
    before = submission_times(app, characteristics[1:6])

    receiver.hang_seconds = 60.0  # answers long after the timeout (released at teardown)
    hanging = app.create_webhook(receiver.url, timeout_seconds=TIMEOUT)
    during = submission_times(app, characteristics[6:])

    # every submission queued a delivery to the hanging endpoint and none waited for it
    assert max(during) < TIMEOUT / 3, during
    assert statistics.median(during) < statistics.median(before) * 2 + 0.05, (before, during)

    # the healthy webhook got every event, while the hanging one holds only its own slots
    assert len(another_receiver.wait_for(16, timeout=TIMEOUT / 2)) == 16
    assert len(receiver.requests) == 2

    # the hanging attempts end at the webhook's timeout
    log = app.wait_deliveries(
        hanging["id"], lambda log: any(d["status"] == "failed" for d in log), timeout=TIMEOUT * 3
    )
    assert len(log) == 10
    failed = [d for d in log if d["status"] == "failed"]
    assert {d["last_error"] for d in failed} == {f"no answer within {TIMEOUT:g} s"}
    assert all(d["attempts"] == 1 and d["last_status_code"] is None for d in failed)
    app.wait_deliveries(healthy["id"], lambda log: all(d["status"] == "delivered" for d in log))
