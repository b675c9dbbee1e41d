"""``/api/v1/imports`` (background imports) and the sample exports.

``POST /imports`` (engineer) takes a multipart upload: the file, its mapping (JSON) or a
``characteristic_id``, and the options; it checks the mapping against the file's columns at
once (422 naming the field) and answers 202 with the queued job, whose progress and report
``GET /imports/{id}`` shows (on every process sharing the database: the process running the
job shows its progress from memory, the others the progress it last stored). ``GET /characteristics/{id}/samples.csv`` and ``.parquet``
(operator) export samples with their violations.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Request, Response, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from openspc.api.deps import EngineerUser, KernelDep, OperatorUser
from openspc.api.errors import ERRORS, field_error, not_found
from openspc.api.schemas import Id, Timestamp
from openspc.engine.pipeline import utc
from openspc_batch import repo
from openspc_batch.export import MEDIA_TYPES, UnknownCharacteristic, export_samples
from openspc_batch.importer import ImportOptions, check_characteristic
from openspc_batch.mapping import MappingError, parse_mapping
from openspc_batch.provider import BatchImportProvider, UploadTooLarge
from openspc_batch.report import ImportReport, Progress
from openspc_batch.source import FileKind, SourceError, file_kind, open_table
from openspc_batch.tables import RUNNING

router = APIRouter(
    tags=["imports"],
    responses={**ERRORS, 503: {"description": "Batch imports are not running in this process"}},
)


class ImportJobOut(BaseModel):
    id: int
    status: Literal["queued", "running", "succeeded", "failed"]
    file_name: str
    options: dict[str, Any]
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: Progress | None = Field(description="while running")
    result: ImportReport | None = Field(description="when succeeded (also a dry run's report)")
    error: str | None = Field(description="when failed")


def _imports(request: Request) -> BatchImportProvider:
    provider: BatchImportProvider | None = getattr(request.app.state, "batch_imports", None)
    if provider is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "batch imports are not running")
    return provider


def _job_out(job: Any, provider: BatchImportProvider) -> ImportJobOut:
    progress = None
    if job.status == RUNNING:
        progress = provider.progress.get(job.id)  # in the process running it
        if progress is None and job.progress is not None:
            progress = Progress.model_validate(job.progress)
    return ImportJobOut(
        id=job.id,
        status=job.status,
        file_name=job.file_name,
        options=job.options,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        progress=progress,
        result=job.result,
        error=job.error,
    )


@router.post(
    "/imports",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="startImport",
    responses={413: {"description": "The file is larger than OPENSPC_BATCH_MAX_UPLOAD_MB"}},
)
async def start_import(
    request: Request,
    response: Response,
    principal: EngineerUser,
    file: Annotated[UploadFile, File(description="CSV or Parquet")],
    mapping: Annotated[
        str | None, Form(description="the column mapping as JSON (see the plugin's README)")
    ] = None,
    characteristic_id: Annotated[
        Id | None, Form(description="import every row into this characteristic")
    ] = None,
    file_format: Annotated[FileKind | None, Form(description="default: from the name")] = None,
    dry_run: Annotated[bool, Form()] = False,
    on_duplicate: Annotated[Literal["skip", "refuse"], Form()] = "skip",
    baseline: Annotated[int | None, Form(ge=2)] = None,
) -> ImportJobOut:
    """Queue an import of historical samples; poll ``GET /imports/{id}`` for its progress
    and report."""
    provider = _imports(request)
    name = Path(file.filename or "upload").name
    if mapping is None and characteristic_id is None:
        raise field_error("mapping", "give a mapping or a characteristic_id", None)
    try:
        options = ImportOptions(
            mapping=parse_mapping(mapping, characteristic_id),
            file_format=file_kind(Path(name), file_format),
            dry_run=dry_run,
            on_duplicate=on_duplicate,
            baseline=baseline,
        )
    except MappingError as exc:
        raise field_error("mapping", str(exc), mapping) from exc
    except SourceError as exc:
        raise field_error("file_format", str(exc), file_format) from exc
    assert options.file_format is not None
    try:
        path = await run_in_threadpool(provider.save_upload, file.file, f".{options.file_format}")
    except UploadTooLarge as exc:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(exc)) from exc
    try:
        await asyncio.to_thread(open_table, path, options.mapping, options.file_format)
        await asyncio.to_thread(check_characteristic, provider.pipeline.engine, options.mapping)
    except (MappingError, SourceError) as exc:
        path.unlink(missing_ok=True)
        raise field_error(
            "mapping" if isinstance(exc, MappingError) else "file", str(exc), name
        ) from exc
    job = await provider.enqueue(path, name, options, principal.name)
    response.headers["Location"] = str(request.url_for("getImport", job_id=job.id))
    return _job_out(job, provider)


@router.get("/imports/{job_id}", operation_id="getImport", name="getImport")
def get_import(job_id: Id, request: Request, kernel: KernelDep, _: EngineerUser) -> ImportJobOut:
    """An import job: its status, progress while it runs, and its report."""
    with kernel.engine.connect() as conn:
        job = repo.get_job(conn, job_id)
    if job is None:
        raise not_found("import")
    return _job_out(job, _imports(request))


def _export(
    kernel: Any,
    characteristic_id: int,
    kind: FileKind,
    since: datetime | None,
    until: datetime | None,
) -> FileResponse:
    with tempfile.NamedTemporaryFile(suffix=f".{kind}", delete=False) as out:
        path = Path(out.name)
        try:
            export_samples(
                kernel.engine,
                characteristic_id,
                out,
                kind,
                since=None if since is None else utc(since),
                until=None if until is None else utc(until),
            )
        except UnknownCharacteristic as exc:
            path.unlink()
            raise not_found("characteristic") from exc
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[kind],
        filename=f"characteristic-{characteristic_id}.{kind}",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


_EXPORT_DOC = (
    "Samples in time order with their measurements (m1…mN) or count and size (attribute "
    "charts), plotted statistics (value, dispersion; statistic, statistic_lower for EWMA and "
    "CUSUM), z-scores, limits version, context and the rule keys that fired (violations, "
    "dispersion_violations)."
)


@router.get(
    "/characteristics/{characteristic_id}/samples.csv",
    operation_id="exportSamplesCsv",
    response_class=FileResponse,
    responses={200: {"content": {"text/csv": {}}, "description": _EXPORT_DOC}},
)
def export_csv(
    characteristic_id: Id,
    kernel: KernelDep,
    _: OperatorUser,
    since: Timestamp | None = None,
    until: Timestamp | None = None,
) -> FileResponse:
    return _export(kernel, characteristic_id, "csv", since, until)


@router.get(
    "/characteristics/{characteristic_id}/samples.parquet",
    operation_id="exportSamplesParquet",
    response_class=FileResponse,
    responses={200: {"content": {MEDIA_TYPES["parquet"]: {}}, "description": _EXPORT_DOC}},
)
def export_parquet(
    characteristic_id: Id,
    kernel: KernelDep,
    _: OperatorUser,
    since: Timestamp | None = None,
    until: Timestamp | None = None,
) -> FileResponse:
    return _export(kernel, characteristic_id, "parquet", since, until)
