"""The kernel's own routers, mounted under ``/api/v1``."""

from openspc.api.routes import auth, limits, samples

ROUTERS = [
    auth.router,
    samples.router,
    limits.router,
]
