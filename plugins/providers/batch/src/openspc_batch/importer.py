"""An import: the file read in chunks, validated, and stored through the ingestion pipeline.

Imported subgroups take the streaming samples' path: ``pipeline.submit`` stores them with the
same repository functions and judges them with the same vectorized rule functions, each
characteristic's part of a submission in one call, so the samples and violations are the
ones that submitting the subgroups one by one would give (a test proves it). Each chunk is
put in time order per characteristic and submitted in slices of ``submit_subgroups``; the
next slice is read, validated and turned into events in a worker thread while the pipeline
stores the current one.

Before storing, a *checking* pass over the file runs when it is needed: for a dry run (which
stops there), for ``on_duplicate="refuse"`` (nothing is stored if any subgroup was stored
before) and for a ``baseline`` (limits calculated from the first subgroups of each
characteristic without limits, stored first). Otherwise subgroups stored before are simply
skipped: re-importing a file stores nothing twice.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import polars as pl
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from openspc.contracts import SampleContext, SampleEvent
from openspc.engine.pipeline import BatchEvents, Pipeline
from openspc_batch import repo
from openspc_batch.baseline import Baselines
from openspc_batch.config import BatchConfig
from openspc_batch.mapping import ColumnMapping
from openspc_batch.report import ImportReport, Progress, Tally
from openspc_batch.source import FileKind, Table, chunks, open_table
from openspc_batch.validation import KEYS, Target, Validator, check_kind

T = TypeVar("T")
U = TypeVar("U")
ProgressCallback = Callable[[Progress], None]


class ImportOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mapping: ColumnMapping
    file_format: FileKind | None = Field(default=None, description="default: from the suffix")
    dry_run: bool = Field(default=False, description="validate and report, store nothing")
    on_duplicate: Literal["skip", "refuse"] = Field(
        default="skip",
        description="subgroups already stored (same characteristic and timestamp): skip them, "
        "or refuse the whole import",
    )
    baseline: int | None = Field(
        default=None,
        ge=2,
        description="characteristics without limits first get limits from their first N "
        "subgroups in the file",
    )


@dataclass
class _Checked:
    """The outcome of a checking pass."""

    tally: Tally
    validator: Validator
    first_stored: dict[str, Any] | None = None  # line, cid, ts of the first stored before

    def refusal(self, file: str) -> str:
        assert self.first_stored is not None
        first = self.first_stored
        return (
            f"{self.tally.already_stored} subgroups of {file} are stored already (the first: "
            f"line {first['line']}, characteristic {first['cid']} at {first['ts'].isoformat()});"
            " nothing was imported. Import with on_duplicate=skip to store only the others."
        )


@dataclass(frozen=True)
class _Batch:
    """Part of a chunk: the chunk's rows, subgroups and rejections come with its first part."""

    rows: int
    subgroups: int
    rejected: pl.DataFrame | None
    accepted: pl.DataFrame


class Importer:
    def __init__(
        self,
        pipeline: Pipeline,
        config: BatchConfig,
        *,
        actor: str,
        publish: Callable[[BatchEvents], Awaitable[None]] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.config = config
        self.actor = actor
        self.publish = publish

    async def run(
        self,
        path: Path,
        options: ImportOptions,
        on_progress: ProgressCallback | None = None,
        file_name: str | None = None,
    ) -> ImportReport:
        """Import a file (raises ``MappingError``/``SourceError`` if it cannot be read as
        mapped; rows that cannot be imported are reported, never raised)."""
        with _rare_collections():
            return await self._run(path, options, on_progress, file_name or path.name)

    async def _run(
        self,
        path: Path,
        options: ImportOptions,
        on_progress: ProgressCallback | None,
        name: str,
    ) -> ImportReport:
        started = time.perf_counter()
        table = await asyncio.to_thread(open_table, path, options.mapping, options.file_format)
        await asyncio.to_thread(check_characteristic, self.pipeline.engine, options.mapping)
        extra: dict[str, Any] = {}
        if options.dry_run or options.on_duplicate == "refuse" or options.baseline:
            baselines = Baselines(options.baseline or 0)
            checked = await self._check(table, options, baselines, on_progress)
            if options.dry_run:
                return checked.tally.report(name, True, started)
            if options.on_duplicate == "refuse" and checked.first_stored is not None:
                return checked.tally.report(name, False, started, refused=checked.refusal(name))
            if options.baseline:
                extra["limits"], extra["notes"] = await self._store_baselines(
                    baselines, checked.validator.targets, name
                )
        tally = await self._store(table, options, on_progress)
        return tally.report(name, False, started, **extra)

    # --- the two passes ------------------------------------------------------------------

    async def _check(
        self,
        table: Table,
        options: ImportOptions,
        baselines: Baselines,
        on_progress: ProgressCallback | None,
    ) -> _Checked:
        checked = _Checked(
            Tally("checking", table.rows, self.config.rejections_listed),
            self._validator(options.mapping),
        )

        def prepare(batch: _Batch) -> tuple[_Batch, pl.DataFrame]:
            if options.baseline:
                baselines.add(batch.accepted, checked.validator.targets)
            return batch, self._already_stored(batch.accepted)

        batches = self._batches(table, options, checked.validator)
        async for batch, stored in _ahead(batches, prepare):
            _tally_batch(checked.tally, batch)
            checked.tally.already_stored += stored.height
            if checked.first_stored is None and stored.height:
                checked.first_stored = stored.row(0, named=True)
            _report(checked.tally, on_progress)
        return checked

    async def _store(
        self, table: Table, options: ImportOptions, on_progress: ProgressCallback | None
    ) -> Tally:
        tally = Tally("storing", table.rows, self.config.rejections_listed)
        batches = self._batches(table, options, self._validator(options.mapping))
        async for batch, events in _ahead(batches, lambda b: (b, _events(b.accepted))):
            _tally_batch(tally, batch)
            outcomes = await self.pipeline.submit(events) if events else []
            failed_lines, failed_reasons = [], []
            for line, outcome in zip(batch.accepted["line"].to_list(), outcomes, strict=True):
                if outcome.sample is not None:
                    tally.stored += 1
                    tally.characteristics.add(outcome.sample["characteristic_id"])
                    tally.violations.update(v["rule_key"] for v in outcome.violations)
                elif outcome.duplicate:
                    tally.already_stored += 1
                elif outcome.error is not None:  # the characteristic changed meanwhile
                    failed_lines.append(line)
                    failed_reasons.append(outcome.error.reason)
            tally.reject(failed_lines, failed_reasons)
            _report(tally, on_progress)
        return tally

    # --- helpers ---------------------------------------------------------------------------

    def _validator(self, mapping: ColumnMapping) -> Validator:
        def lookup(ids: Any) -> dict[int, Target]:
            with self.pipeline.engine.connect() as conn:
                return repo.targets(conn, ids)

        return Validator(mapping, lookup)

    def _batches(
        self, table: Table, options: ImportOptions, validator: Validator
    ) -> Iterator[_Batch]:
        for chunk in chunks(table, options.mapping, self.config.chunk_rows, validator.sizes):
            checked = validator(chunk.subgroups)
            parts = list(checked.accepted.iter_slices(self.config.submit_subgroups))
            for k, part in enumerate(parts or [checked.accepted]):
                first = k == 0
                yield _Batch(
                    rows=chunk.rows if first else 0,
                    subgroups=chunk.subgroups.height if first else 0,
                    rejected=checked.rejected if first else None,
                    accepted=part,
                )

    def _already_stored(self, accepted: pl.DataFrame) -> pl.DataFrame:
        """The accepted subgroups that are stored already (line, cid, ts), in line order."""
        if accepted.is_empty():
            return accepted.select("line", "cid", "ts")
        with self.pipeline.engine.connect() as conn:
            first, last = accepted["ts"].min(), accepted["ts"].max()
            assert isinstance(first, datetime) and isinstance(last, datetime)
            stored = repo.stored_keys(conn, accepted["cid"].unique().to_list(), first, last)
        keys = pl.DataFrame(stored, schema={"cid": KEYS["cid"], "ts": KEYS["ts"]}, orient="row")
        return accepted.join(keys, on=["cid", "ts"]).select("line", "cid", "ts").sort("line")

    async def _store_baselines(
        self, baselines: Baselines, targets: dict[int, Target], file: str
    ) -> tuple[list[dict[str, Any]], list[str]]:
        versions, notes = await asyncio.to_thread(
            baselines.store, self.pipeline.engine, targets, self.actor, file
        )
        for version in versions:
            self.pipeline.invalidate(version["characteristic_id"])
        if versions and self.publish is not None:
            await self.publish(BatchEvents(limits=versions))
        return versions, notes


def check_characteristic(engine: Engine, mapping: ColumnMapping) -> None:
    """Raise ``MappingError`` when the mapping sends every row to one characteristic whose
    chart does not take what it reads (measurements for an attribute chart, a count for
    another): a clear error rather than every row rejected."""
    cid = mapping.characteristic_id
    if cid is not None:
        with engine.connect() as conn:
            check_kind(mapping, repo.targets(conn, [cid]).get(cid))


def _tally_batch(tally: Tally, batch: _Batch) -> None:
    tally.rows += batch.rows
    tally.subgroups += batch.subgroups
    if batch.rejected is not None:
        tally.reject(batch.rejected["line"].to_list(), batch.rejected["reason"].to_list())


def _report(tally: Tally, on_progress: ProgressCallback | None) -> None:
    if on_progress is not None:
        on_progress(tally.progress())


def _events(accepted: pl.DataFrame) -> list[SampleEvent]:
    contexts: dict[tuple[str | None, str | None], SampleContext] = {}

    def context(batch_number: str | None, operator_id: str | None) -> SampleContext:
        key = (batch_number, operator_id)
        if key not in contexts:
            contexts[key] = SampleContext(
                batch_number=batch_number, operator_id=operator_id, source="IMPORT"
            )
        return contexts[key]

    columns = ("cid", "ts", "measurements", "count", "size", "batch_number", "operator_id")
    return [
        SampleEvent(
            characteristic_id=c,
            timestamp=t,
            measurements=m,
            count=k,
            size=n,
            context=context(b, o),
        )
        for c, t, m, k, n, b, o in zip(*(accepted[name].to_list() for name in columns), strict=True)
    ]


_END = object()
_IMPORT_GC_THRESHOLDS = (100_000, 50, 100)


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Cyclic garbage collection tuned for the import (the process's, for its duration).

    An import allocates millions of short-lived, acyclic containers (events, outcomes,
    payloads) that reference counting frees; with the default thresholds the collector would
    keep traversing every object of the process (about a third of the CPU time of a large
    import). The objects that exist before the import are frozen out of its collections,
    and collections run less often. In a server, whose start-up objects are frozen already
    (``openspc.app``), they stay frozen: the import's own garbage is collected (only what is
    not frozen is traversed) and what it left is frozen with them.
    """
    thresholds = gc.get_threshold()
    frozen_before = gc.get_freeze_count() > 0
    gc.freeze()
    gc.set_threshold(*_IMPORT_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if frozen_before:
            gc.collect()
            gc.freeze()
        else:
            gc.unfreeze()


async def _ahead(items: Iterator[T], prepare: Callable[[T], U]) -> AsyncIterator[U]:
    """``prepare(item)`` of each item, computed in a worker thread one item ahead of the
    consumer (the next slice is read while the pipeline stores the current one)."""

    def step() -> Any:
        item = next(items, _END)
        return _END if item is _END else prepare(item)  # type: ignore[arg-type]

    pending = asyncio.ensure_future(asyncio.to_thread(step))
    try:
        while (result := await pending) is not _END:
            pending = asyncio.ensure_future(asyncio.to_thread(step))
            yield result
    finally:
        await asyncio.wait({pending})  # the thread cannot be interrupted: let it finish
        if not pending.cancelled():
            pending.exception()  # retrieved: a failure of the read-ahead is moot now
