"""The audit log: admins read it filtered and paged, newest first; the database refuses to
change or delete an entry."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from openspc.testing.fixtures import RoleClients


def test_filters_paging_and_request_id(app_client: TestClient, roles: RoleClients) -> None:
    engineer, admin = roles.headers("engineer"), roles.headers("admin")
    for code in ("A1", "A2", "A3"):
        r = app_client.post(
            "/api/v1/reason-codes",
            json={"code": code, "label": code},
            headers={**engineer, "X-Request-ID": f"req-{code}"},
        )
        assert r.status_code == 201

    def audit(**params: object) -> dict:  # type: ignore[type-arg]
        r = app_client.get("/api/v1/audit", params=params, headers=admin)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    page = audit(entity="reason_code", limit=2)
    assert page["total"] == 3
    assert [e["after"]["code"] for e in page["items"]] == ["A3", "A2"]
    assert [e["request_id"] for e in page["items"]] == ["req-A3", "req-A2"]
    assert [e["after"]["code"] for e in audit(entity="reason_code", offset=2)["items"]] == ["A1"]
    assert audit(actor="test-engineer")["total"] == 3
    bootstrap = audit(actor="system")["items"]
    assert [(e["action"], e["entity"]) for e in bootstrap] == [("create", "user")]
    one = page["items"][0]
    assert audit(entity="reason_code", entity_id=one["entity_id"])["items"] == [one]
    assert audit(entity="nothing")["total"] == 0
    assert app_client.get("/api/v1/audit", params={"limit": 0}, headers=admin).status_code == 422


def test_database_refuses_to_change_audit_entries(app_client: TestClient) -> None:
    engine = app_client.app.state.kernel.engine
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="immutable"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_log")).scalars().all() == ["system"]
