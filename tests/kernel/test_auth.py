"""Login, refresh, token expiry and tampering, throttling, the bootstrap admin."""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace

import jwt
import pytest

from openspc import security
from openspc.security import issue_token
from openspc.testing.fixtures import TEST_ADMIN_PASSWORD


def login(client, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/login", data={"username": username, "password": password})


def test_bootstrap_admin_logs_in_and_me(app_client) -> None:  # type: ignore[no-untyped-def]
    r = login(app_client, "admin", TEST_ADMIN_PASSWORD)
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    me = app_client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}
    )
    assert me.json() == {"username": "admin", "role": "admin", "via": "token"}


def test_wrong_password_then_throttled(app_client) -> None:  # type: ignore[no-untyped-def]
    codes = [login(app_client, "admin", "nope").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]


def test_refresh_gives_a_new_access_token_and_access_is_not_a_refresh(app_client) -> None:  # type: ignore[no-untyped-def]
    pair = login(app_client, "admin", TEST_ADMIN_PASSWORD).json()
    r = app_client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 200 and r.json()["access_token"]
    assert (
        app_client.post(
            "/api/v1/auth/refresh", json={"refresh_token": pair["access_token"]}
        ).status_code
        == 401
    )


def test_expired_and_tampered_tokens_are_refused(app_client) -> None:  # type: ignore[no-untyped-def]
    kernel = app_client.app.state.kernel
    expired = issue_token(kernel.secret_key, "admin", "admin", "access", timedelta(seconds=-1))
    r = app_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and r.json()["detail"] == "token expired"
    forged = jwt.encode(
        {"sub": "admin", "role": "admin", "typ": "access", "exp": 9999999999},
        "wrong-key",
        algorithm="HS256",
    )
    assert (
        app_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code
        == 401
    )
    assert app_client.get("/api/v1/auth/me").status_code == 401


def test_a_token_accepted_before_is_refused_once_it_expires(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # verified tokens are cached: the expiry must still be checked on every use
    secret = "token-cache-test-secret-0123456789"
    token = issue_token(secret, "op", "operator", "access", timedelta(minutes=1))
    assert security.read_token(secret, token, "access").role == "operator"
    later = time.time() + 61
    monkeypatch.setattr(security, "time", SimpleNamespace(time=lambda: later))
    with pytest.raises(security.InvalidToken, match="token expired"):
        security.read_token(secret, token, "access")
