"""Deliveries of real violations to a real HTTP endpoint: body, headers and signature,
retries with backoff, giving up, and resuming after a restart."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from openspc.testing.builders import Plant
from openspc_webhook.signing import verify

from .conftest import TEST_SETTINGS, App, Receiver


def test_a_violation_is_posted_signed(app: App, plant: Plant, receiver: Receiver) -> None:
    created = app.create_webhook(receiver.url)
    cid = plant.characteristic()
    [violation] = app.submit(cid, 5.0)["violations"]

    [request] = receiver.wait_for(1)
    assert request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-openspc-event"] == "violation"
    signature = request.headers["x-openspc-signature"]
    assert signature.startswith("sha256=")
    assert verify(created["secret"], request.body, signature)
    assert not verify(created["secret"] + "x", request.body, signature)
    assert not verify(created["secret"], request.body + b" ", signature)

    body = request.json
    assert set(body) == {"type", "payload", "id", "timestamp"}
    assert body["type"] == "violation"
    assert body["id"] == int(request.headers["x-openspc-delivery"])
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    payload = body["payload"]
    assert {**payload, "created_at": None} == {**violation, "created_at": None}
    assert datetime.fromisoformat(payload["created_at"]) == datetime.fromisoformat(
        violation["created_at"]
    )
    assert (violation["rule_key"], violation["severity"]) == ("nelson.1", "CRITICAL")

    [logged] = app.wait_deliveries(created["id"], lambda log: log[0]["status"] == "delivered")
    assert logged["id"] == body["id"] and logged["payload"] == payload


def test_a_failed_attempt_is_retried_with_backoff(
    app: App, plant: Plant, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    created = app.create_webhook(receiver.url)
    app.submit(plant.characteristic(), 5.0)

    first, second, third = receiver.wait_for(3)
    assert first.body == second.body == third.body  # same id, timestamp and signature
    assert first.headers["x-openspc-signature"] == third.headers["x-openspc-signature"]
    # backoff 0.05 s, then 0.1 s (TEST_SETTINGS)
    assert second.at - first.at >= 0.05
    assert third.at - second.at >= 0.1
    [logged] = app.wait_deliveries(created["id"], lambda log: log[0]["status"] == "delivered")
    assert (logged["attempts"], logged["last_status_code"], logged["last_error"]) == (3, 200, None)


def test_a_delivery_fails_after_max_attempts(
    start_app: Callable[..., App], plant: Plant, receiver: Receiver
) -> None:
    app = start_app(max_attempts=2)
    receiver.default_status = 500
    refused = app.create_webhook(receiver.url)
    unreachable = app.create_webhook("http://127.0.0.1:9/nothing-listens-here")
    app.submit(plant.characteristic(), 5.0)

    [logged] = app.wait_deliveries(refused["id"], lambda log: log[0]["status"] == "failed")
    assert (logged["attempts"], logged["last_status_code"]) == (2, 500)
    assert logged["last_error"] == "HTTP 500: ok" and logged["next_attempt_at"] is None
    [logged] = app.wait_deliveries(unreachable["id"], lambda log: log[0]["status"] == "failed")
    assert logged["attempts"] == 2 and logged["last_status_code"] is None
    assert logged["last_error"].startswith("ConnectError")
    time.sleep(4 * TEST_SETTINGS["backoff_max_seconds"])
    assert len(receiver.requests) == 2  # no further attempt after giving up


def test_pending_deliveries_survive_a_restart(
    start_app: Callable[..., App], plant: Plant, receiver: Receiver
) -> None:
    app = start_app(max_attempts=100)
    receiver.default_status = 500
    created = app.create_webhook(receiver.url)
    app.submit(plant.characteristic(), 5.0)
    receiver.wait_for(2)

    app = start_app(max_attempts=100)  # stops the first app, starts a new one
    before = len(receiver.requests)
    receiver.default_status = 200
    [logged] = app.wait_deliveries(created["id"], lambda log: log[0]["status"] == "delivered")
    assert len(receiver.requests) > before
    assert logged["attempts"] >= 2  # one failed attempt recorded before the restart, at least
    assert len({r.json["id"] for r in receiver.requests}) == 1
