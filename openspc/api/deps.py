"""FastAPI dependencies as ``Annotated`` aliases: the kernel, and who is calling with which role.

They are ``async`` and do not block: FastAPI runs a plain function in its thread pool, and
those thread hops (three per request) were the largest overhead of a manual-entry request.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from openspc.db.repo import users as users_repo
from openspc.kernel import Kernel
from openspc.security import (
    InvalidToken,
    Role,
    api_key_prefix,
    hash_api_key,
    read_token,
    role_at_least,
)


async def get_kernel(request: Request) -> Kernel:
    kernel: Kernel = request.app.state.kernel
    return kernel


KernelDep = Annotated[Kernel, Depends(get_kernel)]

_bearer = HTTPBearer(auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    via: Literal["token", "api_key"]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def authenticate(
    kernel: KernelDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    if bearer is not None:
        try:
            claims = read_token(kernel.secret_key, bearer.credentials, "access")
        except InvalidToken as exc:
            raise _unauthorized(str(exc)) from exc
        return Principal(claims.username, claims.role, "token")
    if api_key:
        prefix = api_key_prefix(api_key)
        row = await run_in_threadpool(_api_key_row, kernel, prefix) if prefix else None
        if (
            row is None
            or row.revoked_at is not None
            or not hmac.compare_digest(row.key_hash, hash_api_key(api_key))
        ):
            raise _unauthorized("invalid API key")
        return Principal(f"api-key:{row.name}", row.role, "api_key")
    raise _unauthorized("not authenticated")


def _api_key_row(kernel: Kernel, prefix: str) -> Any:
    with kernel.engine.connect() as conn:
        return users_repo.api_key_by_prefix(conn, prefix)


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not role_at_least(principal.role, role):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"requires the {role} role")
        return principal

    return check


OperatorUser = Annotated[Principal, Depends(require("operator"))]
EngineerUser = Annotated[Principal, Depends(require("engineer"))]
AdminUser = Annotated[Principal, Depends(require("admin"))]
