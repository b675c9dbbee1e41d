"""The app factory: health, OpenAPI, docs, correlation ids, JSON logs."""

from __future__ import annotations

import json
import logging

import pytest


def test_health_reports_database(app_client) -> None:  # type: ignore[no-untyped-def]
    r = app_client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["backend"] in {"sqlite", "postgresql"}


def test_openapi_and_docs(app_client) -> None:  # type: ignore[no-untyped-def]
    spec = app_client.get("/openapi.json").json()
    assert spec["info"]["title"] == "OpenSPC"
    assert "/health" in spec["paths"]
    docs = app_client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_request_id_is_echoed_or_generated(app_client) -> None:  # type: ignore[no-untyped-def]
    assert (
        app_client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    generated = app_client.get("/health", headers={"X-Request-ID": "bad id with spaces"}).headers[
        "x-request-id"
    ]
    assert generated != "bad id with spaces" and len(generated) == 32


def test_log_lines_are_json_with_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    from openspc.logs import JsonFormatter, request_id

    token = request_id.set("rid-1")
    try:
        record = logging.LogRecord(
            "openspc.test", logging.INFO, __file__, 1, "hello %s", ("x",), None
        )
        record.samples = 3
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["msg"] == "hello x" and line["request_id"] == "rid-1" and line["samples"] == 3


def test_start_up_objects_are_frozen_out_of_collections(make_settings, database_url) -> None:  # type: ignore[no-untyped-def]
    """A full collection traverses every tracked object while holding the GIL: over the
    ~180,000 start-up objects that stopped ingestion and delivery for ~100 ms."""
    import gc

    from fastapi.testclient import TestClient

    from openspc.app import create_app

    app = create_app(make_settings(database_url=database_url))
    assert gc.get_freeze_count() == 0
    with TestClient(app):
        assert gc.get_freeze_count() > 0
        kernel = app.state.kernel
        assert not any(o is kernel for o in gc.get_objects())  # frozen: not traversed
    assert gc.get_freeze_count() == 0
