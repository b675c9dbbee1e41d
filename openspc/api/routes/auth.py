"""Login (OAuth2 password form), token refresh, and who am I."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from openspc.api.deps import KernelDep, OperatorUser
from openspc.db.repo import users as users_repo
from openspc.kernel import Kernel
from openspc.security import InvalidToken, issue_token, read_token, verify_password

router = APIRouter(prefix="/auth", tags=["auth"])


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class RefreshRequest(BaseModel):
    refresh_token: str


class Me(BaseModel):
    username: str
    role: str
    via: str


class LoginThrottle:
    """At most ``limit`` failed logins per username and client within ``window`` seconds."""

    def __init__(self, limit: int = 5, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] < time.monotonic() - self.window:
            failures.popleft()
        return failures

    def blocked(self, key: tuple[str, str]) -> bool:
        with self._lock:
            return len(self._recent(key)) >= self.limit

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._recent(key).append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)


def _pair(kernel: Kernel, username: str, role: str) -> TokenPair:
    s = kernel.settings
    return TokenPair(
        access_token=issue_token(
            kernel.secret_key, username, role, "access", timedelta(minutes=s.access_token_minutes)
        ),
        refresh_token=issue_token(
            kernel.secret_key, username, role, "refresh", timedelta(days=s.refresh_token_days)
        ),
        expires_in=s.access_token_minutes * 60,
    )


@router.post(
    "/login",
    operation_id="login",
    responses={
        401: {"description": "Wrong username or password"},
        429: {"description": "Too many failed logins"},
    },
)
def login(
    kernel: KernelDep, request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenPair:
    key = (form.username, request.client.host if request.client else "")
    throttle: LoginThrottle = request.app.state.login_throttle
    if throttle.blocked(key):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, "too many failed logins; try again later"
        )
    with kernel.engine.connect() as conn:
        user = users_repo.by_username(conn, form.username)
    if user is None or not user.active or not verify_password(user.password_hash, form.password):
        throttle.failed(key)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    throttle.succeeded(key)
    return _pair(kernel, user.username, user.role)


@router.post(
    "/refresh",
    operation_id="refreshToken",
    responses={401: {"description": "Invalid or expired refresh token"}},
)
def refresh(kernel: KernelDep, body: RefreshRequest) -> TokenPair:
    try:
        claims = read_token(kernel.secret_key, body.refresh_token, "refresh")
    except InvalidToken as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from exc
    with kernel.engine.connect() as conn:
        user = users_repo.by_username(conn, claims.username)
    if user is None or not user.active:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "user no longer active")
    return _pair(kernel, user.username, user.role)


@router.get("/me", operation_id="me", responses={401: {"description": "Not authenticated"}})
def me(principal: OperatorUser) -> Me:
    return Me(username=principal.name, role=principal.role, via=principal.via)
