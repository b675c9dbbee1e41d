"""Helpers for driving the real app through its REST API (``api`` fixture)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from openspc.db import models as m
from openspc.security import issue_token

PREFIX = "/api/v1"


class Api:
    """Requests as a role (engineer by default for writes, operator for reads; None: no
    credentials), and builders that go through the API too.

    Tokens are issued with the app's key for ``test-<role>`` (logging in, which hashes
    passwords, is tested in tests/kernel/test_auth.py and would only slow these tests down).
    """

    def __init__(self, client: Any) -> None:
        self.client = client
        self.kernel = client.app.state.kernel

    def _call(self, method: str, path: str, role: str | None, **kwargs: Any) -> Any:
        headers = {}
        if role is not None:
            token = issue_token(
                self.kernel.secret_key, f"test-{role}", role, "access", timedelta(minutes=5)
            )
            headers["Authorization"] = f"Bearer {token}"
        return self.client.request(method, PREFIX + path, headers=headers, **kwargs)

    def get(self, path: str, role: str | None = "operator", **params: Any) -> Any:
        return self._call("GET", path, role, params=params)

    def post(self, path: str, body: Any, role: str | None = "engineer") -> Any:
        return self._call("POST", path, role, json=body)

    def patch(self, path: str, body: Any, role: str | None = "engineer") -> Any:
        return self._call("PATCH", path, role, json=body)

    def delete(self, path: str, role: str | None = "engineer") -> Any:
        return self._call("DELETE", path, role)

    def node(self, name: str = "Line 1", type: str = "line", parent_id: int | None = None) -> int:
        r = self.post("/hierarchy", {"name": name, "type": type, "parent_id": parent_id})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def characteristic(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Diameter", "chart_type": "imr", "subgroup_size": 1, **fields}
        if "hierarchy_id" not in body:
            body["hierarchy_id"] = self.node(f"Line for {body['name']}")
        r = self.post("/characteristics", body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def submit(self, cid: int, measurements: list[float], **extra: Any) -> dict[str, Any]:
        r = self.post(
            f"/characteristics/{cid}/samples", {"measurements": measurements, **extra}, "operator"
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    def audit(self, entity: str) -> list[Any]:
        with self.kernel.engine.connect() as conn:
            return list(
                conn.execute(
                    select(m.AuditEntry)
                    .where(m.AuditEntry.entity == entity)
                    .order_by(m.AuditEntry.id)
                )
            )


def locs(response: Any) -> list[list[Any]]:
    """The ``loc`` of every entry of a 422 body."""
    assert response.status_code == 422, response.text
    return [e["loc"] for e in response.json()["detail"]]


@pytest.fixture
def api(app_client: Any) -> Api:
    return Api(app_client)
