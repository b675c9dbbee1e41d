"""The batch import provider: runs the imports started through the API in the background.

The kernel starts it like any provider, with the ingestion pipeline as its sink. Uploaded
files wait in ``upload_dir``; jobs run one at a time in the order they came (an import
already uses both the reading and the storing side of the machine), each recorded in the
``import_job`` table with its report.

Several processes may share the database (scale-out). A job belongs to the process that
accepted its upload (``owner``: ``OPENSPC_PROCESS_ID``, default ``<hostname>-<pid>``), the
only one that has the file. While it has unfinished jobs, a process refreshes their
``heartbeat_at`` every ``heartbeat_seconds`` and stores the running job's last progress with
it (the routes show it from memory in the owner, from the row elsewhere). At start and stop a
process fails only its own unfinished jobs; every process fails the unfinished jobs whose
heartbeat is older than the stale timeout, whoever owns them. A job failed that way while its
owner still runs it (the owner was stalled) is stopped at its next progress report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, TypeVar

from openspc.config import Settings
from openspc.engine.pipeline import Pipeline
from openspc.relay import default_process_id
from openspc_batch import repo
from openspc_batch.config import BatchConfig
from openspc_batch.importer import Importer, ImportOptions
from openspc_batch.mapping import MappingError
from openspc_batch.report import Progress
from openspc_batch.source import SourceError
from openspc_batch.tables import FAILED, SUCCEEDED

log = logging.getLogger(__name__)

COPY_CHUNK = 1 << 20
INTERRUPTED = "interrupted: the server stopped"
T = TypeVar("T")


class UploadTooLarge(ValueError):
    pass


class JobAbandoned(RuntimeError):
    """The running job was failed by another process (its heartbeat was stale)."""


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
        self.owner: str = self.kernel.settings.process_id or default_process_id()
        self.progress: dict[int, Progress] = {}
        self._queue: asyncio.Queue[tuple[int, Path]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._jobs: set[int] = set()  # this process's unfinished jobs
        self._running: int | None = None
        self._stored: Progress | None = None  # the running job's progress last stored
        self._abandoned: set[int] = set()
        app.state.batch_imports = self

    async def start(self) -> None:
        self.config.upload_dir.mkdir(parents=True, exist_ok=True)
        left = await self._write(repo.fail_unfinished, self.owner, INTERRUPTED, _now())
        if left:
            log.warning("%d import jobs were interrupted by the last shutdown", left)
        self._task = asyncio.create_task(self._run(), name="openspc-batch-imports")
        self._keeper = asyncio.create_task(self._keep(), name="openspc-batch-heartbeat")

    async def stop(self) -> None:
        for task in (self._task, self._keeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._write(repo.fail_unfinished, self.owner, INTERRUPTED, _now())
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
            repo.create_job,
            file_name,
            options.model_dump(mode="json"),
            created_by,
            self.owner,
            _now(),
        )
        self._jobs.add(job.id)
        await self._queue.put((job.id, path))
        return job

    async def _run(self) -> None:
        while True:
            job_id, path = await self._queue.get()
            try:
                if await self._write(repo.start_job, job_id, self.owner, _now()):
                    self._running = job_id
                    await self._execute(job_id, path)
                else:
                    log.warning("import job %d was failed by another process before it ran", job_id)
            finally:
                path.unlink(missing_ok=True)
                self._running = None
                self.progress.pop(job_id, None)
                self._jobs.discard(job_id)
                self._abandoned.discard(job_id)

    async def _execute(self, job_id: int, path: Path) -> None:
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
        except JobAbandoned:
            log.error("import job %d was failed by another process while it ran: stopped", job_id)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a job's failure is recorded; the provider goes on
            log.exception("import job %d failed", job_id)
            outcome = {"status": FAILED, "error": f"{type(exc).__name__}: {exc}"}
        if not await self._write(
            repo.finish_job, job_id, self.owner, finished_at=_now(), **outcome
        ):
            log.error(
                "import job %d was failed by another process while it ran; its outcome (%s) "
                "is not recorded",
                job_id,
                outcome["status"],
            )

    def _track(self, job_id: int, progress: Progress) -> None:
        if job_id in self._abandoned:
            raise JobAbandoned(f"import job {job_id} was failed by another process")
        self.progress[job_id] = progress

    async def _keep(self) -> None:
        """Every ``heartbeat_seconds``: the heartbeat of this process's unfinished jobs, then
        the sweep of every process's stale jobs."""
        while True:
            try:
                await self._beat()
                await self._sweep()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away for a while: try again later
                log.exception("the heartbeat of import jobs failed")
            await asyncio.sleep(self.config.heartbeat_seconds)

    async def _beat(self) -> None:
        if not self._jobs:
            return
        tracked, running = set(self._jobs), self._running
        progress = None if running is None else self.progress.get(running)
        stored = progress if progress is not self._stored else None
        alive = await self._write(
            repo.heartbeat,
            self.owner,
            _now(),
            running,
            None if stored is None else stored.model_dump(mode="json"),
        )
        if stored is not None:
            self._stored = stored
        self._abandoned |= (tracked & self._jobs) - alive

    async def _sweep(self) -> None:
        now = _now()
        failed = await self._write(
            repo.fail_stale, now - timedelta(seconds=self.config.stale_after), now
        )
        for job_id, owner in failed:
            log.warning(
                "import job %d of process %s failed: its process stopped responding",
                job_id,
                owner,
            )

    async def _write(self, statement: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a repository function in its own transaction, off the event loop (SQLite may
        make it wait for the pipeline's commit)."""

        def run() -> T:
            with self.pipeline.engine.begin() as conn:
                return statement(conn, *args, **kwargs)

        return await asyncio.to_thread(run)


def _now() -> datetime:
    return datetime.now(UTC)
