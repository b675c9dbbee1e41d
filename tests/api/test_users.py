"""User administration: list, create, change role / active / password, the last admin is
kept, passwords are Argon2-hashed and never shown or audited."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from openspc.testing.fixtures import RoleClients


def login(client: TestClient, username: str, password: str) -> int:
    r = client.post("/api/v1/auth/login", data={"username": username, "password": password})
    return r.status_code


def create(client: TestClient, roles: RoleClients, **body: Any) -> Any:
    return client.post("/api/v1/users", json=body, headers=roles.headers("admin"))


def patch(client: TestClient, roles: RoleClients, user_id: int, **body: Any) -> Any:
    return client.patch(f"/api/v1/users/{user_id}", json=body, headers=roles.headers("admin"))


def user_id(client: TestClient, roles: RoleClients, username: str) -> int:
    users = client.get("/api/v1/users", headers=roles.headers("admin")).json()
    return int(next(u["id"] for u in users if u["username"] == username))


def test_create_list_and_log_in(app_client: TestClient, roles: RoleClients) -> None:
    r = create(app_client, roles, username="alice", password="alice-secret", role="engineer")
    assert r.status_code == 201, r.text
    alice = r.json()
    assert set(alice) == {"id", "username", "role", "active", "created_at"}
    assert (alice["username"], alice["role"], alice["active"]) == ("alice", "engineer", True)
    listed = app_client.get("/api/v1/users", headers=roles.headers("admin")).json()
    assert alice in listed and {"admin", "test-admin"} <= {u["username"] for u in listed}
    assert login(app_client, "alice", "alice-secret") == 200
    with app_client.app.state.kernel.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM user_account WHERE username = 'alice'")
        ).scalar_one()
    assert stored.startswith("$argon2id$") and "alice-secret" not in stored


def test_create_refuses_duplicates_and_bad_input(
    app_client: TestClient, roles: RoleClients
) -> None:
    assert create(app_client, roles, username="bob", password="bob-secret", role="operator")
    dup = create(app_client, roles, username="bob", password="other-secret", role="operator")
    assert dup.status_code == 409
    for body, field in (
        ({"username": "carol", "password": "short", "role": "operator"}, "password"),
        ({"username": "carol", "password": "carol-secret", "role": "boss"}, "role"),
        ({"username": "with space", "password": "carol-secret", "role": "operator"}, "username"),
    ):
        r = create(app_client, roles, **body)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", field]


def test_role_active_and_password_changes(app_client: TestClient, roles: RoleClients) -> None:
    dave = create(app_client, roles, username="dave", password="dave-secret", role="operator")
    dave_id = dave.json()["id"]
    promoted = patch(app_client, roles, dave_id, role="engineer")
    assert promoted.status_code == 200 and promoted.json()["role"] == "engineer"
    assert patch(app_client, roles, dave_id, password="dave-new-secret").status_code == 200
    assert login(app_client, "dave", "dave-secret") == 401
    assert login(app_client, "dave", "dave-new-secret") == 200
    assert patch(app_client, roles, dave_id, active=False).json()["active"] is False
    assert login(app_client, "dave", "dave-new-secret") == 401
    assert patch(app_client, roles, dave_id, active=True).json()["active"] is True
    assert patch(app_client, roles, 99999, active=True).status_code == 404
    assert patch(app_client, roles, dave_id, password="short").status_code == 422
    assert patch(app_client, roles, dave_id, username="eve").status_code == 422


def test_the_last_active_admin_stays(app_client: TestClient, roles: RoleClients) -> None:
    roles.headers("admin")  # test-admin: a second admin beside the bootstrap one
    me = user_id(app_client, roles, "test-admin")
    assert patch(app_client, roles, user_id(app_client, roles, "admin"), active=False)
    for change in ({"role": "engineer"}, {"active": False}):
        r = patch(app_client, roles, me, **change)
        assert r.status_code == 409, change
    assert patch(app_client, roles, me, role="admin", active=True).status_code == 200
    other = create(app_client, roles, username="frank", password="frank-secret", role="admin")
    assert patch(app_client, roles, me, role="engineer").json()["role"] == "engineer"
    assert other.status_code == 201


def test_audit_names_the_changes_but_never_a_password(
    app_client: TestClient, roles: RoleClients
) -> None:
    r = create(app_client, roles, username="gina", password="gina-first-pw", role="operator")
    patch(app_client, roles, r.json()["id"], password="gina-second-pw", role="engineer")
    entries = app_client.get(
        "/api/v1/audit",
        params={"entity": "user", "entity_id": str(r.json()["id"])},
        headers=roles.headers("admin"),
    ).json()["items"]
    assert [(e["action"], e["actor"]) for e in entries] == [
        ("update", "test-admin"),
        ("create", "test-admin"),
    ]
    update = entries[0]
    assert update["before"] == {"username": "gina", "role": "operator", "active": True}
    assert update["after"] == {
        "username": "gina",
        "role": "engineer",
        "active": True,
        "password_changed": True,
    }
    with app_client.app.state.kernel.engine.connect() as conn:
        log = " ".join(str(row) for row in conn.execute(text("SELECT * FROM audit_log")))
    assert "gina-first-pw" not in log and "gina-second-pw" not in log and "argon2" not in log
