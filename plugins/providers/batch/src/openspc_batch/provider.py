"""The batch import provider: runs the imports started through the API in the background.

The kernel starts it like any provider, with the ingestion pipeline as its sink. Uploaded
files wait in ``upload_dir``; jobs run one at a time in the order they came (an import
already uses both the reading and the storing side of the machine), each recorded in the
``import_job`` table with its report. A running job's progress is kept in memory. Jobs that
a stopped process left unfinished are marked failed at the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypeVar

from openspc.config import Settings
from openspc.engine.pipeline import Pipeline
from openspc_batch import repo
from openspc_batch.config import BatchConfig
from openspc_batch.importer import Importer, ImportOptions
from openspc_batch.mapping import MappingError
from openspc_batch.report import Progress
from openspc_batch.source import SourceError
from openspc_batch.tables import FAILED, RUNNING, SUCCEEDED

log = logging.getLogger(__name__)

COPY_CHUNK = 1 << 20
INTERRUPTED = "interrupted: the server stopped"
T = TypeVar("T")


class UploadTooLarge(ValueError):
    pass


class BatchImportProvider:
    name = "batch"
    Config = BatchConfig

    @classmethod
    def configure(cls, settings: Settings) -> BatchConfig:
        return BatchConfig()

    def __init__(self, *, config: BatchConfig, sink: Pipeline, app: Any) -> None:
        self.config = config
        self.pipeline = sink
        self.kernel = app.state.kernel
        self.progress: dict[int, Progress] = {}
        self._queue: asyncio.Queue[tuple[int, Path]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        app.state.batch_imports = self

    async def start(self) -> None:
        self.config.upload_dir.mkdir(parents=True, exist_ok=True)
        left = await self._write(repo.fail_unfinished, INTERRUPTED, _now())
        if left:
            log.warning("%d import jobs were interrupted by the last shutdown", left)
        self._task = asyncio.create_task(self._run(), name="openspc-batch-imports")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._write(repo.fail_unfinished, INTERRUPTED, _now())
        while not self._queue.empty():
            self._queue.get_nowait()[1].unlink(missing_ok=True)

    def save_upload(self, source: IO[bytes], suffix: str) -> Path:
        """Copy an upload to the upload folder (raises :class:`UploadTooLarge`)."""
        path = self.config.upload_dir / f"{uuid.uuid4().hex}{suffix}"
        limit, size = self.config.max_upload_mb << 20, 0
        with path.open("wb") as out:
            while block := source.read(COPY_CHUNK):
                size += len(block)
                if size > limit:
                    out.close()
                    path.unlink()
                    raise UploadTooLarge(f"the file is larger than {self.config.max_upload_mb} MB")
                out.write(block)
        return path

    async def enqueue(
        self, path: Path, file_name: str, options: ImportOptions, created_by: str
    ) -> Any:
        """Record a job for a saved upload and queue it; returns the job row."""
        job = await self._write(
            repo.create_job, file_name, options.model_dump(mode="json"), created_by
        )
        await self._queue.put((job.id, path))
        return job

    async def _run(self) -> None:
        while True:
            job_id, path = await self._queue.get()
            try:
                await self._execute(job_id, path)
            finally:
                path.unlink(missing_ok=True)
                self.progress.pop(job_id, None)

    async def _execute(self, job_id: int, path: Path) -> None:
        await self._write(repo.update_job, job_id, status=RUNNING, started_at=_now())
        job = await self._write(repo.get_job, job_id)
        importer = Importer(
            self.pipeline, self.config, actor=job.created_by, publish=self.kernel.publish
        )
        outcome: dict[str, Any]
        try:
            report = await importer.run(
                path,
                ImportOptions.model_validate(job.options),
                on_progress=lambda progress: self._track(job_id, progress),
                file_name=job.file_name,
            )
            outcome = {"status": SUCCEEDED, "result": report.model_dump(mode="json")}
        except (MappingError, SourceError) as exc:
            outcome = {"status": FAILED, "error": str(exc)}
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a job's failure is recorded; the provider goes on
            log.exception("import job %d failed", job_id)
            outcome = {"status": FAILED, "error": f"{type(exc).__name__}: {exc}"}
        await self._write(repo.update_job, job_id, finished_at=_now(), **outcome)

    def _track(self, job_id: int, progress: Progress) -> None:
        self.progress[job_id] = progress

    async def _write(self, statement: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a repository function in its own transaction, off the event loop (SQLite may
        make it wait for the pipeline's commit)."""

        def run() -> T:
            with self.pipeline.engine.begin() as conn:
                return statement(conn, *args, **kwargs)

        return await asyncio.to_thread(run)


def _now() -> datetime:
    return datetime.now(UTC)
