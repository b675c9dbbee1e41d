"""API keys: shown once, stored hashed, work for their role via X-API-Key, stop working
when revoked (the row stays)."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import text

from openspc.testing.fixtures import RoleClients


def test_a_key_is_shown_once_and_stored_hashed(app_client: TestClient, roles: RoleClients) -> None:
    admin = roles.headers("admin")
    for bad in (
        {"name": "x", "role": "root"},
        {"name": " ", "role": "operator"},
        {"role": "admin"},
    ):
        assert app_client.post("/api/v1/api-keys", json=bad, headers=admin).status_code == 422
    r = app_client.post(
        "/api/v1/api-keys", json={"name": "line-1 PLC", "role": "operator"}, headers=admin
    )
    assert r.status_code == 201, r.text
    created = r.json()
    key = created.pop("key")
    assert key.startswith(f"ospc_{created['prefix']}_")
    assert created["created_by"] == "test-admin" and created["revoked_at"] is None
    assert app_client.get("/api/v1/api-keys", headers=admin).json() == [created]
    with app_client.app.state.kernel.engine.connect() as conn:
        stored = " ".join(str(r) for r in conn.execute(text("SELECT * FROM api_key")))
        audited = " ".join(str(r) for r in conn.execute(text("SELECT * FROM audit_log")))
    secret_hash = hashlib.sha256(key.encode()).hexdigest()
    assert key not in stored and secret_hash in stored
    assert key not in audited and secret_hash not in audited


def test_a_key_acts_with_its_role_until_revoked(app_client: TestClient, roles: RoleClients) -> None:
    admin = roles.headers("admin")
    created = app_client.post(
        "/api/v1/api-keys", json={"name": "mes", "role": "engineer"}, headers=admin
    ).json()
    key = {"X-API-Key": created["key"]}
    me = app_client.get("/api/v1/auth/me", headers=key).json()
    assert me == {"username": "api-key:mes", "role": "engineer", "via": "api_key"}
    assert app_client.get("/api/v1/violations", headers=key).status_code == 200
    made = app_client.post(
        "/api/v1/reason-codes", json={"code": "MES", "label": "MES"}, headers=key
    )
    assert made.status_code == 201
    assert app_client.get("/api/v1/users", headers=key).status_code == 403
    assert (
        app_client.get(
            "/api/v1/violations", headers={"X-API-Key": created["key"] + "x"}
        ).status_code
        == 401
    )

    revoked = app_client.delete(f"/api/v1/api-keys/{created['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert app_client.get("/api/v1/violations", headers=key).status_code == 401
    again = app_client.delete(f"/api/v1/api-keys/{created['id']}", headers=admin)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    [listed] = app_client.get("/api/v1/api-keys", headers=admin).json()
    assert listed["id"] == created["id"] and listed["revoked_at"] == revoked.json()["revoked_at"]
    assert app_client.delete("/api/v1/api-keys/99999", headers=admin).status_code == 404

    entries = app_client.get("/api/v1/audit", params={"entity": "api_key"}, headers=admin).json()[
        "items"
    ]
    assert [e["action"] for e in entries] == ["revoke", "create"]


def test_every_key_works(app_client: TestClient, roles: RoleClients) -> None:
    """Keys are random; about half hold an underscore in their secret part."""
    admin = roles.headers("admin")
    for i in range(20):
        key = app_client.post(
            "/api/v1/api-keys", json={"name": f"k{i}", "role": "operator"}, headers=admin
        ).json()["key"]
        assert app_client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 200
