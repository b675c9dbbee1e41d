"""The FastAPI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pluggy
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from openspc import __version__
from openspc.api import health, metrics
from openspc.api.errors import document_unreadable_bodies, validation_error_handler
from openspc.api.middleware import RequestIdMiddleware
from openspc.api.routes import ROUTERS
from openspc.api.routes.auth import LoginThrottle
from openspc.config import Settings, get_settings
from openspc.kernel import Kernel
from openspc.logs import configure_logging

API_PREFIX = "/api/v1"
PACKAGED_WEB = Path(__file__).parent / "web"


def create_app(settings: Settings | None = None, pm: pluggy.PluginManager | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    kernel = Kernel(settings, pm)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await kernel.start(app)
        # What exists now (modules, the app, plugins: ~180,000 objects) lives as long as the
        # process. Frozen out of the cyclic garbage collector, it is no longer traversed by
        # every full collection, which holds the GIL, so stops ingestion and delivery in all
        # threads, for ~100 ms: the tail of the end-to-end latency (docs/decisions.md).
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            await kernel.stop(app)

    app = FastAPI(
        title="OpenSPC",
        version=__version__,
        description="Statistical Process Control: control charts, Nelson rules, violations.",
        lifespan=lifespan,
    )
    app.state.kernel = kernel
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.state.login_throttle = LoginThrottle()
    app.add_middleware(RequestIdMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
        )

    # Straight into the app: with FastAPI's lazily resolved inclusions, every level of
    # nesting is matched again on every request.
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    for routers in kernel.pm.hook.register_routes():
        for router in routers:
            app.include_router(router, prefix=API_PREFIX)
    app.include_router(health.router)
    app.include_router(metrics.router)
    _document_unreadable_bodies(app)
    _mount_web(app, settings.web_dir or PACKAGED_WEB)
    return app


def _document_unreadable_bodies(app: FastAPI) -> None:
    """The schema FastAPI generates, with the 400 it answers to an undecodable body."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        first = app.openapi_schema is None
        schema = generate()
        return document_unreadable_bodies(schema) if first else schema

    app.openapi = openapi  # type: ignore[method-assign]


def _mount_web(app: FastAPI, web_dir: Path) -> None:
    """Serve the built single-page app at ``/`` (client-side routes fall back to index.html)."""
    index = web_dir / "index.html"
    if not index.is_file():
        return
    if (web_dir / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=web_dir / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    async def spa(path: str) -> FileResponse:
        candidate = (web_dir / path).resolve()
        if path and candidate.is_file() and web_dir.resolve() in candidate.parents:
            return FileResponse(candidate)
        return FileResponse(index)
