"""The admin API: CRUD, write-only secrets, validation, audit, roles, the delivery log and
the test event."""

from __future__ import annotations

from openspc_webhook.signing import verify

from .conftest import App, Receiver


def test_create_generates_a_secret_shown_once(app: App, receiver: Receiver) -> None:
    created = app.create_webhook(receiver.url, name="line 1 alarms")
    secret = created["secret"]
    assert len(secret) >= 32
    assert created["secret_hint"] == f"****{secret[-4:]}"
    assert created["filters"] == {
        "event_types": ["violation"],
        "severities": [],
        "rule_keys": [],
        "hierarchy_id": None,
    }
    assert created["enabled"] is True and created["timeout_seconds"] == 10.0

    listed = app.client.get("/api/v1/webhooks", headers=app.admin).json()
    fetched = app.client.get(f"/api/v1/webhooks/{created['id']}", headers=app.admin).json()
    for shown in (*listed, fetched):
        assert "secret" not in shown
        assert secret not in str(shown)
    assert fetched == {k: v for k, v in created.items() if k != "secret"}


def test_a_supplied_secret_is_never_echoed(app: App, receiver: Receiver) -> None:
    secret = "s3cret-from-the-receiver-team"
    created = app.create_webhook(receiver.url, secret=secret)
    assert created["secret"] is None
    assert created["secret_hint"] == "****team"

    new_secret = "rotated-secret-0123456789"
    r = app.client.patch(
        f"/api/v1/webhooks/{created['id']}", json={"secret": new_secret}, headers=app.admin
    )
    assert r.status_code == 200
    assert new_secret not in r.text and r.json()["secret_hint"] == "****6789"

    audit = app.client.get("/api/v1/audit", params={"entity": "webhook"}, headers=app.admin).json()
    assert secret not in str(audit) and new_secret not in str(audit)

    # the new secret signs from now on
    r = app.client.post(f"/api/v1/webhooks/{created['id']}/test", headers=app.admin)
    assert r.status_code == 202
    [request] = receiver.wait_for(1)
    assert verify(new_secret, request.body, request.headers["x-openspc-signature"])


def test_update_and_delete_are_audited(app: App, receiver: Receiver) -> None:
    created = app.create_webhook(receiver.url, name="before")
    url = f"/api/v1/webhooks/{created['id']}"
    r = app.client.patch(
        url,
        json={"name": "after", "enabled": False, "filters": {"severities": ["CRITICAL"]}},
        headers=app.admin,
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert (updated["name"], updated["enabled"]) == ("after", False)
    assert updated["filters"]["severities"] == ["CRITICAL"]
    assert updated["url"] == receiver.url  # untouched

    assert app.client.delete(url, headers=app.admin).status_code == 204
    assert app.client.get(url, headers=app.admin).status_code == 404
    assert app.client.delete(url, headers=app.admin).status_code == 404

    entries = app.client.get(
        "/api/v1/audit", params={"entity": "webhook"}, headers=app.admin
    ).json()["items"]
    actions = [(e["action"], e["entity_id"], e["actor"]) for e in reversed(entries)]
    assert actions == [
        (a, str(created["id"]), "test-admin") for a in ("create", "update", "delete")
    ]
    update = entries[1]
    assert update["before"]["name"] == "before"
    assert update["after"]["name"] == "after"
    assert update["after"]["secret_replaced"] is False


def test_invalid_input_is_refused(app: App, receiver: Receiver) -> None:
    def create(**fields: object) -> tuple[int, object]:
        body = {"name": "x", "url": receiver.url, **fields}
        r = app.client.post("/api/v1/webhooks", json=body, headers=app.admin)
        return r.status_code, r.json()["detail"]

    for fields, loc in (
        ({"url": "ftp://example.com/"}, ["body", "url"]),
        ({"secret": "short"}, ["body", "secret"]),
        ({"timeout_seconds": 0}, ["body", "timeout_seconds"]),
        ({"filters": {"event_types": []}}, ["body", "filters", "event_types"]),
        ({"filters": {"severities": ["INFO"]}}, ["body", "filters", "severities", 0]),
        ({"filters": {"hierarchy_id": 999_999}}, ["body", "filters", "hierarchy_id"]),
        ({"filters": {"rule_keys": ["nelson.1", "no.such"]}}, ["body", "filters", "rule_keys"]),
    ):
        code, detail = create(**fields)
        assert code == 422, (fields, detail)
        assert detail[0]["loc"] == loc, (fields, detail)  # type: ignore[index]

    app.create_webhook(receiver.url, name="taken")
    assert create(name="taken")[0] == 409


def test_only_admins_may_use_the_api(app: App, receiver: Receiver) -> None:
    created = app.create_webhook(receiver.url)
    path = f"/api/v1/webhooks/{created['id']}"
    calls = [
        ("GET", "/api/v1/webhooks", None),
        ("POST", "/api/v1/webhooks", {"name": "n", "url": receiver.url}),
        ("GET", path, None),
        ("PATCH", path, {"enabled": False}),
        ("DELETE", path, None),
        ("GET", f"{path}/deliveries", None),
        ("POST", f"{path}/test", None),
    ]
    for role in ("operator", "engineer"):
        for method, url, body in calls:
            r = app.client.request(method, url, json=body, headers=app.roles.headers(role))
            assert r.status_code == 403, (role, method, url)
    for method, url, body in calls:
        assert app.client.request(method, url, json=body).status_code == 401
    assert receiver.requests == []


def test_test_event_is_delivered_and_logged(app: App, receiver: Receiver) -> None:
    created = app.create_webhook(receiver.url)
    r = app.client.post(f"/api/v1/webhooks/{created['id']}/test", headers=app.admin)
    assert r.status_code == 202
    queued = r.json()
    assert (queued["event_type"], queued["status"], queued["attempts"]) == ("test", "pending", 0)

    [request] = receiver.wait_for(1)
    assert request.json["type"] == "test"
    assert request.json["payload"]["requested_by"] == "test-admin"
    [logged] = app.wait_deliveries(created["id"], lambda log: log[0]["status"] == "delivered")
    assert logged["id"] == queued["id"] == request.json["id"]
    assert (logged["attempts"], logged["last_status_code"], logged["last_error"]) == (1, 200, None)
    assert logged["delivered_at"] is not None and logged["next_attempt_at"] is None

    app.client.patch(
        f"/api/v1/webhooks/{created['id']}", json={"enabled": False}, headers=app.admin
    )
    assert (
        app.client.post(f"/api/v1/webhooks/{created['id']}/test", headers=app.admin).status_code
        == 409
    )
    assert app.client.post("/api/v1/webhooks/999999/test", headers=app.admin).status_code == 404


def test_deliveries_are_listed_newest_first_and_filtered(app: App, receiver: Receiver) -> None:
    created = app.create_webhook(receiver.url)
    for _ in range(3):
        app.client.post(f"/api/v1/webhooks/{created['id']}/test", headers=app.admin)
    log = app.wait_deliveries(
        created["id"], lambda log: len(log) == 3 and all(d["status"] == "delivered" for d in log)
    )
    ids = [d["id"] for d in log]
    assert ids == sorted(ids, reverse=True)
    page = app.client.get(
        f"/api/v1/webhooks/{created['id']}/deliveries",
        params={"limit": 2, "offset": 1},
        headers=app.admin,
    ).json()
    assert page["total"] == 3 and [d["id"] for d in page["items"]] == ids[1:]
    assert app.deliveries(created["id"], status="failed") == []
    assert (
        app.client.get("/api/v1/webhooks/999999/deliveries", headers=app.admin).status_code == 404
    )
