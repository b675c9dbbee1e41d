"""User accounts (admins only). Passwords are Argon2-hashed and never shown or audited;
users are deactivated rather than deleted, and the last active admin cannot be removed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from openspc.api.deps import AdminUser, KernelDep
from openspc.api.errors import AUTH_ERRORS, conflict, not_found
from openspc.api.schemas import Id
from openspc.db.repo import audit
from openspc.db.repo import users as users_repo
from openspc.security import Role, hash_password

router = APIRouter(prefix="/users", tags=["users"], responses=AUTH_ERRORS)

Password = Annotated[str, StringConstraints(min_length=8, max_length=1000)]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._@-]{1,100}$")
]


class User(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: Role
    active: bool
    created_at: datetime


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username
    password: Password
    role: Role


class UserUpdate(BaseModel):
    """Only the fields given (and not null) change."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    active: bool | None = Field(default=None, description="false: can no longer log in")
    password: Password | None = Field(default=None, description="a new password")


@router.get("", operation_id="listUsers")
def list_users(kernel: KernelDep, _: AdminUser) -> list[User]:
    with kernel.engine.connect() as conn:
        return [User.model_validate(u) for u in users_repo.list_users(conn)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    operation_id="createUser",
    responses={409: {"description": "The username is taken"}},
)
def create_user(body: UserCreate, kernel: KernelDep, principal: AdminUser) -> User:
    try:
        with kernel.engine.begin() as conn:
            row = users_repo.create_audited(
                conn, principal.name, body.username, hash_password(body.password), body.role
            )
    except IntegrityError as exc:
        raise conflict(f"username {body.username!r} is taken") from exc
    return User.model_validate(row)


@router.patch(
    "/{user_id}",
    operation_id="updateUser",
    responses={
        404: {"description": "No such user"},
        409: {"description": "This would leave no active admin"},
    },
)
def update_user(user_id: Id, body: UserUpdate, kernel: KernelDep, principal: AdminUser) -> User:
    """Change a user's role, deactivate or reactivate them, or set a new password. Access
    tokens already issued stay valid until they expire (minutes); refreshing them fails."""
    changes: dict[str, Any] = body.model_dump(exclude_none=True)
    if "password" in changes:
        changes["password_hash"] = hash_password(changes.pop("password"))
    with kernel.engine.begin() as conn:
        user = users_repo.by_id(conn, user_id)
        if user is None:
            raise not_found("user")
        if not changes:
            return User.model_validate(user)
        _keep_an_admin(conn, user, changes)
        updated = users_repo.update_user(conn, user_id, changes)
        audit.record(
            conn,
            principal.name,
            "update",
            "user",
            user_id,
            before=users_repo.public_fields(user),
            after={
                **users_repo.public_fields(updated),
                "password_changed": "password_hash" in changes,
            },
        )
    return User.model_validate(updated)


def _keep_an_admin(conn: Connection, user: Any, changes: dict[str, Any]) -> None:
    stays_admin = changes.get("role", user.role) == "admin" and changes.get("active", user.active)
    if stays_admin or {user.id} != users_repo.active_admin_ids(conn):
        return
    raise conflict("this is the last active admin; make another admin first")
