"""``/metrics``: Prometheus text without authentication, OpenMetrics on request, and the
counters move when data comes in."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from openspc.testing.builders import Plant
from openspc.testing.fixtures import RoleClients


def manual_samples(client: TestClient) -> float:
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            if s.name == "openspc_samples_ingested_total" and s.labels == {"source": "MANUAL"}:
                return s.value
    return 0.0


def test_metrics_are_served_without_login_and_count_samples(
    app_client: TestClient, roles: RoleClients
) -> None:
    before = manual_samples(app_client)
    cid = Plant(app_client.app.state.kernel.settings.database_url).characteristic()
    r = app_client.post(
        f"/api/v1/characteristics/{cid}/samples",
        json={"measurements": [0.1]},
        headers=roles.headers("operator"),
    )
    assert r.status_code == 201, r.text
    assert manual_samples(app_client) == before + 1
    openmetrics = app_client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert "openspc_ingest_latency_seconds" in openmetrics.text
    assert openmetrics.text.endswith("# EOF\n")
