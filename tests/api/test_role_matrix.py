"""Every route of the app, every caller: anonymous is refused (401), a role below the
route's minimum is forbidden (403), and the minimum role and those above it get through.
A WebSocket refuses by closing (1008) and lets in by answering the first message.

The table below names the minimum role of every API route by method and path. A route it
does not name fails the test, so a new route cannot slip in unprotected: add it to the
table. Then no route may change or delete a stored record's facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from openspc.db import models as m
from openspc.security import ROLES, Role, role_at_least
from openspc.testing.builders import Plant
from openspc.testing.fixtures import RoleClients

API = "/api/v1"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
WRITES = "|".join(WRITE_METHODS)

#: (methods, path after /api/v1, minimum role); the first row that matches decides.
MINIMUM_ROLE: list[tuple[str, str, Role]] = [
    ("GET|" + WRITES, r"/(users|api-keys|audit|webhooks)(/.*)?", "admin"),
    ("POST", r"/characteristics/{characteristic_id}/samples(/batch)?", "operator"),
    ("POST", r"/violations(/{violation_id})?/acknowledge", "operator"),
    ("GET|POST", r"/imports(/.*)?", "engineer"),  # batch import jobs: an engineer's tool
    ("GET", r"/auth/me", "operator"),
    ("WEBSOCKET", r"/ws", "operator"),
    (
        "GET",
        r"/(violations|reason-codes|hierarchy|characteristics|samples|rules)(/.*)?",
        "operator",
    ),
    (WRITES, r"/(reason-codes|hierarchy|characteristics|samples)(/.*)?", "engineer"),
]
#: Routes anyone may call: logging in, the health check, metrics scraping, API docs.
PUBLIC = {
    ("POST", f"{API}/auth/login"),
    ("POST", f"{API}/auth/refresh"),
    ("GET", "/health"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}
#: A number no test record has, for every path parameter.
ABSENT_ID = "999999"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str

    def url(self, ids: dict[str, int] | None = None) -> str:
        return re.sub(r"{(\w+)(:\w+)?}", lambda p: str((ids or {}).get(p[1], ABSENT_ID)), self.path)


def endpoints(client: TestClient) -> Iterator[Endpoint]:
    for route in iter_route_contexts(client.app.routes):
        assert route.path is not None
        for method in sorted(route.methods or {"WEBSOCKET"}):
            if method != "HEAD":
                yield Endpoint(method, route.path)


def minimum_role(e: Endpoint) -> Role | None:
    if not e.path.startswith(API):
        return None
    for methods, pattern, role in MINIMUM_ROLE:
        if re.fullmatch(methods, e.method) and re.fullmatch(re.escape(API) + pattern, e.path):
            return role
    return None


def call(client: TestClient, e: Endpoint, headers: dict[str, str], **kwargs: Any) -> int:
    body = {} if e.method in WRITE_METHODS else None
    kwargs.setdefault("json", body)
    url = e.url(kwargs.pop("ids", None))
    return client.request(e.method, url, headers=headers, **kwargs).status_code


def outcome(client: TestClient, e: Endpoint, headers: dict[str, str]) -> str:
    """ "401", "403", "refused" (a WebSocket closed on us) or "allowed"."""
    if e.method == "WEBSOCKET":
        return "allowed" if websocket_answers(client, e, headers) else "refused"
    status = call(client, e, headers)
    return str(status) if status in (401, 403) else "allowed"


def websocket_answers(client: TestClient, e: Endpoint, headers: dict[str, str]) -> bool:
    token = headers.get("Authorization", "").removeprefix("Bearer ")
    with client.websocket_connect(e.url() + (f"?token={token}" if token else "")) as ws:
        ws.send_json({"type": "subscribe", "characteristic_ids": []})
        try:
            ws.receive_json()
        except WebSocketDisconnect:
            return False
        ws.close()
    return True


def test_every_route_is_in_the_table_and_public_ones_need_no_login(
    app_client: TestClient,
) -> None:
    found = list(endpoints(app_client))
    unknown = [e for e in found if (e.method, e.path) not in PUBLIC and minimum_role(e) is None]
    assert not unknown, f"add these routes to MINIMUM_ROLE or PUBLIC: {unknown}"
    for e in found:
        if (e.method, e.path) in PUBLIC and e.method == "GET":
            assert app_client.get(e.path).status_code == 200, e.path


def test_every_route_enforces_its_minimum_role(app_client: TestClient, roles: RoleClients) -> None:
    headers = {role: roles.headers(role) for role in ROLES}
    wrong: list[str] = []
    checked = 0
    for e in endpoints(app_client):
        required = minimum_role(e)
        if required is None:
            continue
        checked += 1
        if (got := outcome(app_client, e, {})) not in ("401", "refused"):
            wrong.append(f"{e.method} {e.path} anonymous: {got}")
        for role in ROLES:
            got = outcome(app_client, e, headers[role])
            expected = ("allowed",) if role_at_least(role, required) else ("403", "refused")
            if got not in expected:
                wrong.append(f"{e.method} {e.path} as {role} (needs {required}): {got}")
    assert checked >= 30 and not wrong, "\n".join(wrong)


def test_no_route_changes_or_deletes_stored_records(
    app_client: TestClient, roles: RoleClients
) -> None:
    """An admin calls every write route on a real sample, violation and acknowledgment with a
    body that tries to overwrite their facts; every record stored before is as it was."""
    plant = Plant(app_client.app.state.kernel.settings.database_url)
    cid = plant.characteristic()
    operator = roles.headers("operator")
    submitted = app_client.post(
        f"{API}/characteristics/{cid}/samples", json={"measurements": [5.0]}, headers=operator
    ).json()
    [violation] = submitted["violations"]
    acked = app_client.post(
        f"{API}/violations/{violation['id']}/acknowledge",
        json={"reason_code": "SETUP"},
        headers=operator,
    )
    assert acked.status_code == 200
    ids = {
        "characteristic_id": cid,
        "sample_id": submitted["sample"]["id"],
        "violation_id": violation["id"],
    }
    overwrite = {
        "value": 99.0,
        "measurements": [99.0],
        "timestamp": "2000-01-01T00:00:00Z",
        "severity": "WARNING",
        "details": {},
        "rule_key": "none",
        "acknowledged": False,
        "reason_code": "OTHER",
        "excluded": True,
        "reason": "overwrite",
    }
    before = records(plant)
    for e in endpoints(app_client):
        if e.method in WRITE_METHODS and e.path.startswith(API):
            call(app_client, e, roles.headers("admin"), ids=ids, json=overwrite)
    after = records(plant)
    for table, rows in before.items():
        assert all(r in after[table] for r in rows), f"{table} records changed or deleted"
    plant.engine.dispose()


def records(plant: Plant) -> dict[str, list[tuple[Any, ...]]]:
    """Every immutable record's facts (a sample's exclusion may change)."""
    sample_facts = [c for c in m.Sample.__table__.c if not c.name.startswith("excluded")]
    queries = {
        "sample": select(*sample_facts),
        "measurement": select(m.Measurement),
        "violation": select(m.Violation),
        "acknowledgment": select(m.Acknowledgment),
        "audit_log": select(m.AuditEntry),
    }
    with plant.engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(q)] for t, q in queries.items()}
