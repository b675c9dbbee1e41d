"""Passwords (Argon2), access/refresh tokens (JWT), API keys (shown once, stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

Role = Literal["operator", "engineer", "admin"]
ROLES: tuple[Role, ...] = ("operator", "engineer", "admin")
ALGORITHM = "HS256"

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def role_at_least(role: str, required: Role) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(required)


@dataclass(frozen=True)
class TokenClaims:
    username: str
    role: Role
    kind: Literal["access", "refresh"]


class InvalidToken(Exception):
    pass


def issue_token(
    secret: str, username: str, role: str, kind: Literal["access", "refresh"], lifetime: timedelta
) -> str:
    now = datetime.now(UTC)
    claims = {"sub": username, "role": role, "typ": kind, "iat": now, "exp": now + lifetime}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(secret: str, token: str, kind: Literal["access", "refresh"]) -> TokenClaims:
    """Verify signature, expiry and kind; raises InvalidToken with the reason."""
    claims, expires_at = _verified(secret, token)
    if expires_at <= time.time():  # as PyJWT checks it (a cached token may expire since)
        raise InvalidToken("token expired")
    if claims.kind != kind:
        raise InvalidToken("invalid token")
    return claims


@lru_cache(maxsize=4096)
def _verified(secret: str, token: str) -> tuple[TokenClaims, float]:
    """A token's claims and expiry once its signature and claims are verified. Cached:
    decoding costs more than the rest of a request's authentication, and a verified token
    stays valid until it expires (exceptions, i.e. refused tokens, are not cached)."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token expired") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidToken("invalid token") from exc
    if claims.get("typ") not in ("access", "refresh") or claims.get("role") not in ROLES:
        raise InvalidToken("invalid token")
    return TokenClaims(claims["sub"], claims["role"], claims["typ"]), float(claims["exp"])


API_KEY_PREFIX_LENGTH = 8


def new_api_key() -> tuple[str, str, str]:
    """(full key shown once, lookup prefix, stored hash). Keys are 256-bit random, so a fast
    hash is enough (no password-style stretching needed)."""
    prefix = secrets.token_hex(API_KEY_PREFIX_LENGTH // 2)
    key = f"ospc_{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_api_key(key)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_prefix(key: str) -> str | None:
    parts = key.split("_", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "ospc" else None
