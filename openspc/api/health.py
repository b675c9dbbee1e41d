"""``/health``: database, ingestion and broker status as JSON (503 when the database is
down; ``ingest.last_error`` is why the last micro-batch failed, cleared by the next commit)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from openspc import __version__

router = APIRouter(tags=["operations"])


@router.get(
    "/health",
    operation_id="health",
    responses={503: {"description": "The database is unavailable (the same body says why)"}},
)
def health(request: Request, response: Response) -> dict[str, Any]:
    kernel = request.app.state.kernel
    database = kernel.database_health()
    if not database["ok"]:
        database["reason"] = "the database is unavailable"
    last_error = kernel.pipeline.last_error
    ingest = {"ok": last_error is None, "last_error": last_error}
    components = kernel.component_health()
    ok = database["ok"] and ingest["ok"] and all(c.get("ok", True) for c in components.values())
    if not database["ok"]:
        response.status_code = 503
    return {
        "status": "ok" if ok else "degraded",
        "version": __version__,
        "database": database,
        "ingest": ingest,
        "components": components,
    }
