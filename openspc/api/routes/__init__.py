"""The kernel's own routers, mounted under ``/api/v1``."""

from openspc.api.routes import (
    api_keys,
    audit,
    auth,
    characteristics,
    charts,
    hierarchy,
    limits,
    reason_codes,
    rules,
    samples,
    users,
    violations,
)

ROUTERS = [
    auth.router,
    samples.router,
    limits.router,
    violations.router,
    reason_codes.router,
    users.router,
    api_keys.router,
    audit.router,
    hierarchy.router,
    characteristics.router,
    charts.router,
    rules.router,
]
