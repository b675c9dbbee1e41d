"""API keys for machines (admins only): the key is shown once, stored as a hash, and
revoked rather than deleted (the row stays for the record). Callers send ``X-API-Key``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from openspc.api.deps import AdminUser, KernelDep
from openspc.api.errors import AUTH_ERRORS, not_found
from openspc.api.schemas import Id
from openspc.db.repo import audit
from openspc.db.repo import users as users_repo
from openspc.security import Role, new_api_key

router = APIRouter(prefix="/api-keys", tags=["api-keys"], responses=AUTH_ERRORS)


class ApiKey(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str = Field(description="identifies the key in logs and lists; not a secret")
    role: Role
    created_by: str
    created_at: datetime
    revoked_at: datetime | None


class NewApiKey(ApiKey):
    key: str = Field(description="the secret: shown only in this response; send as X-API-Key")


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    role: Role


@router.get("", operation_id="listApiKeys")
def list_api_keys(kernel: KernelDep, _: AdminUser) -> list[ApiKey]:
    with kernel.engine.connect() as conn:
        return [ApiKey.model_validate(k) for k in users_repo.list_api_keys(conn)]


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="createApiKey")
def create_api_key(body: ApiKeyCreate, kernel: KernelDep, principal: AdminUser) -> NewApiKey:
    key, prefix, key_hash = new_api_key()
    with kernel.engine.begin() as conn:
        row = users_repo.create_api_key(
            conn,
            name=body.name,
            prefix=prefix,
            key_hash=key_hash,
            role=body.role,
            created_by=principal.name,
        )
        audit.record(
            conn,
            principal.name,
            "create",
            "api_key",
            row.id,
            after={"name": row.name, "prefix": row.prefix, "role": row.role},
        )
    return NewApiKey.model_validate({**row._mapping, "key": key})


@router.delete(
    "/{api_key_id}",
    operation_id="revokeApiKey",
    responses={404: {"description": "No such API key"}},
)
def revoke_api_key(api_key_id: Id, kernel: KernelDep, principal: AdminUser) -> ApiKey:
    """Revoke a key: it stops working at once. Revoking a revoked key changes nothing."""
    with kernel.engine.begin() as conn:
        row = users_repo.api_key_by_id(conn, api_key_id)
        if row is None:
            raise not_found("API key")
        if row.revoked_at is None:
            row = users_repo.revoke_api_key(conn, api_key_id, datetime.now(UTC))
            audit.record(
                conn, principal.name, "revoke", "api_key", api_key_id, after={"name": row.name}
            )
    return ApiKey.model_validate(row)
