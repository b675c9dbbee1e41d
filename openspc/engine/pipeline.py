"""The ingestion pipeline: ingest queue → micro-batch → one transaction → events.

Providers (and the REST API) ``await pipeline.submit(events)``; the call returns once the
batch holding those events is committed, with each sample's id and the violations it caused.
One batch is processed at a time in a dedicated worker thread: validation, plotted points and
z-scores, one transaction that stores the samples, their measurements and their violations
(so a crash can never leave samples without their verdict), vectorized rule evaluation for
every characteristic the batch touched, and, after the commit, one fan-out of events.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import repeat
from typing import Any, cast

import numpy as np
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from openspc import metrics
from openspc.config import Settings
from openspc.contracts import MAX_VALUE, SampleEvent
from openspc.db.repo import characteristics as characteristics_repo
from openspc.db.repo import limits as limits_repo
from openspc.db.repo import samples as samples_repo
from openspc.db.repo import violations as violations_repo
from openspc.engine import charts, limit_versions
from openspc.engine.evaluation import Firing, SeriesInput, evaluate
from openspc.engine.rulesets import RuleBinding, StoredRule, lookback, resolve_rules
from openspc.engine.windows import Window, WindowStore
from openspc.rules import Rule
from openspc.stats._arrays import FloatArray
from openspc.stats.chart_types import a_chart, is_attribute, is_time_weighted
from openspc.stats.limits import ControlLimits, PointLimits
from openspc.stats.time_weighted import TimeWeightedParams

log = logging.getLogger(__name__)

SampleKey = tuple[int, datetime]


@dataclass(frozen=True)
class EngineConfig:
    """What the engine needs to know of one characteristic (cached; dropped on change)."""

    id: int
    chart_type: Any
    subgroup_size: int  # attribute charts: the size of a sample that gives none
    source: str
    params: TimeWeightedParams | None  # EWMA/CUSUM parameters
    limits: ControlLimits | None
    limits_id: int | None
    lines: PointLimits | None  # a variables chart's lines for its subgroup size
    baseline_subgroups: int
    included: int  # non-excluded samples stored (counts the baseline)
    rules: Mapping[str, tuple[RuleBinding, ...]]
    window: int


@dataclass(frozen=True)
class Rejection:
    """Why an event was not stored: the event ``field`` at fault and the reason."""

    field: str
    reason: str


@dataclass
class SampleOutcome:
    """What became of one submitted event."""

    sample: dict[str, Any] | None = None
    violations: list[dict[str, Any]] = field(default_factory=list)
    duplicate: bool = False
    error: Rejection | None = None

    @property
    def stored(self) -> bool:
        return self.sample is not None


@dataclass
class BatchEvents:
    """The events of one committed batch, for notifiers (WebSocket contract shapes)."""

    samples: list[dict[str, Any]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    limits: list[dict[str, Any]] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.samples or self.violations or self.limits or self.acks)


class IngestUnavailable(Exception):
    """The database could not be reached or refused the batch's transaction (connection
    lost, not accepting connections, locked, pool exhausted): nothing of the batch was stored
    and the submission can be retried. The database error is ``__cause__``."""


#: Database errors that mean "unavailable", not "this input is wrong" or a bug.
_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


def _unavailable(exc: Exception) -> IngestUnavailable:
    error = IngestUnavailable(f"the database is unavailable: {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


class _DuplicatesFound(Exception):
    def __init__(self, keys: set[SampleKey]) -> None:
        self.keys = keys


@dataclass
class _Submission:
    events: Sequence[SampleEvent]
    future: asyncio.Future[list[SampleOutcome]]
    submitted: float


def utc(ts: datetime) -> datetime:
    """Timestamps without an offset are taken as UTC."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


class Pipeline:
    def __init__(
        self,
        engine: Engine,
        rules: Mapping[str, Rule],
        settings: Settings,
        publish: Callable[[BatchEvents], Awaitable[None]] | None = None,
    ) -> None:
        self.engine = engine
        self.rules = rules
        self.settings = settings
        self.publish = publish
        self.windows = WindowStore(settings.window_cache_size)
        self.configs: dict[int, EngineConfig] = {}
        self._rule_sets: dict[tuple[Any, ...], Mapping[str, tuple[RuleBinding, ...]]] = {}
        self._invalid: set[int] = set()
        self._invalid_all = False
        self._invalid_lock = threading.Lock()
        #: called (from any thread) with each characteristic invalidated here, not with those
        #: invalidated on another process's behalf (``remote=True``): the scale-out relay
        self.invalidation_listeners: list[Callable[[int], None]] = []
        self._queue: asyncio.Queue[_Submission | None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="openspc-pipeline")
        self.last_error: str | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self._queue = asyncio.Queue(self.settings.ingest_queue_size)
        self._task = asyncio.create_task(self._run(), name="openspc-pipeline")

    async def stop(self) -> None:
        """Process everything already submitted, then stop."""
        if self._queue is not None and self._task is not None:
            await self._queue.put(None)
            await self._task
        self._worker.shutdown(wait=True)

    # --- API for providers ----------------------------------------------------------------

    async def submit(self, events: Sequence[SampleEvent]) -> list[SampleOutcome]:
        """Queue events as one unit (never split across batches); returns after the commit.

        Raises when the batch could not be committed (``IngestUnavailable`` when the
        database is unavailable): nothing of it was stored, and the caller must not
        acknowledge it.
        """
        if self._queue is None:
            raise RuntimeError("the pipeline is not running")
        if not events:
            return []
        future: asyncio.Future[list[SampleOutcome]] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Submission(events, future, time.perf_counter()))
        return await future

    def invalidate(self, characteristic_id: int, *, remote: bool = False) -> None:
        """Forget what is cached for a characteristic (configuration, limits or history
        changed); the next batch that touches it reloads it from the database. ``remote``:
        the change was made by another process (it is not announced to the listeners)."""
        with self._invalid_lock:
            self._invalid.add(characteristic_id)
        if not remote:
            for listener in self.invalidation_listeners:
                listener(characteristic_id)

    def invalidate_all(self) -> None:
        """Forget everything cached (changes by other processes may have been missed)."""
        with self._invalid_lock:
            self._invalid_all = True

    # --- batching -------------------------------------------------------------------------

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        delay = self.settings.batch_max_delay_ms / 1000.0
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            size = len(first.events)
            if delay and self._queue.empty():
                await asyncio.sleep(delay)
            while size < self.settings.batch_max_size and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
                size += len(item.events)
            metrics.queue_depth.set(self._queue.qsize())
            await self._process_batch(loop, batch)

    async def _process_batch(
        self, loop: asyncio.AbstractEventLoop, batch: list[_Submission]
    ) -> None:
        events = [e for s in batch for e in s.events]
        try:
            outcomes, published = await loop.run_in_executor(self._worker, self.process, events)
        except Exception as exc:
            if len(batch) > 1 and not isinstance(exc, _UNAVAILABLE):
                # a fault that is not the database's (a rule plugin's bug, say) fails only
                # the submission that triggers it: the others are processed on their own
                log.exception("micro-batch of %d submissions failed; one at a time", len(batch))
                for submission in batch:
                    await self._process_batch(loop, [submission])
                return
            error = _unavailable(exc) if isinstance(exc, _UNAVAILABLE) else exc
            self.last_error = f"{type(error).__name__}: {error}"
            log.exception("micro-batch of %d samples failed; nothing of it was stored", len(events))
            for s in batch:
                if not s.future.done():
                    s.future.set_exception(error)
            return
        self.last_error = None
        done = time.perf_counter()
        start = 0
        for s in batch:
            metrics.ingest_latency.observe(done - s.submitted)
            if not s.future.done():
                s.future.set_result(outcomes[start : start + len(s.events)])
            start += len(s.events)
        if published and self.publish is not None:
            try:
                await self.publish(published)
            except Exception:
                log.exception("publishing batch events failed")

    # --- processing (worker thread) -------------------------------------------------------

    def process(self, events: Sequence[SampleEvent]) -> tuple[list[SampleOutcome], BatchEvents]:
        """Store and evaluate one batch; retried without the duplicates when some were stored
        before (a redelivery), so that nothing is stored twice and the rest is not lost."""
        self._forget_invalidated()
        ids = {e.characteristic_id for e in events}
        if not ids <= self.configs.keys() or self.windows.missing(ids):
            with self.engine.connect() as conn:
                self._load(conn, ids)
        known: set[SampleKey] = set()
        for _ in range(5):
            try:
                with self.engine.begin() as conn:
                    result = _BatchWriter(self, conn, events, known).write()
            except _DuplicatesFound as dup:
                known |= dup.keys
                continue
            outcomes, published, configs, windows = result
            self.configs.update(configs)
            for cid, window in windows.items():
                self.windows.put(cid, window)
            self._count(outcomes, published, len(events))
            return outcomes, published
        raise RuntimeError("could not store the batch without duplicates")

    def _count(self, outcomes: list[SampleOutcome], published: BatchEvents, size: int) -> None:
        metrics.batch_size.observe(size)
        by_source: dict[str, int] = defaultdict(int)
        for sample in published.samples:
            by_source[sample["source"]] += 1
        for source, n in by_source.items():
            metrics.samples_ingested.labels(source).inc(n)
        for o in outcomes:
            if not o.stored:
                metrics.samples_rejected.labels("duplicate" if o.duplicate else "invalid").inc()
        for v in published.violations:
            metrics.violations_detected.labels(v["rule_key"]).inc()

    def rejection(self, e: SampleEvent) -> Rejection | None:
        """Why an event cannot be stored, if it cannot (its characteristic must be loaded)."""
        config = self.configs.get(e.characteristic_id)
        if config is None:
            return Rejection("characteristic_id", "unknown characteristic")
        if not _takes(config, e.context.source):
            return Rejection(
                "source", f"this characteristic takes {config.source} data, not {e.context.source}"
            )
        if is_attribute(config.chart_type):
            return _attribute_rejection(config, e)
        if e.count is not None or e.size is not None:
            field = "count" if e.count is not None else "size"
            return Rejection(field, f"{a_chart(config.chart_type)} takes measurements, not {field}")
        if len(e.measurements) != config.subgroup_size:
            return Rejection(
                "measurements",
                f"expected {config.subgroup_size} measurements, got {len(e.measurements)}",
            )
        if not all(math.isfinite(v) and abs(v) <= MAX_VALUE for v in e.measurements):
            return Rejection(
                "measurements", f"measurements must be finite numbers within ±{MAX_VALUE:g}"
            )
        return None

    async def check(self, events: Sequence[SampleEvent]) -> list[Rejection | None]:
        """Validate events without storing them (for all-or-nothing submissions)."""

        def run() -> list[Rejection | None]:
            self._forget_invalidated()
            with self.engine.connect() as conn:
                self._load(conn, {e.characteristic_id for e in events})
            return [self.rejection(e) for e in events]

        try:
            return await asyncio.get_running_loop().run_in_executor(self._worker, run)
        except _UNAVAILABLE as exc:
            raise _unavailable(exc) from exc

    def _forget_invalidated(self) -> None:
        with self._invalid_lock:
            invalid, self._invalid = self._invalid, set()
            everything, self._invalid_all = self._invalid_all, False
        if everything:
            self.configs.clear()
            self.windows.clear()
        for cid in invalid:
            self.configs.pop(cid, None)
            self.windows.drop(cid)

    def _load(self, conn: Connection, ids: set[int]) -> None:
        missing = {i for i in ids if i not in self.configs}
        if missing:
            self.configs.update(self._load_configs(conn, missing))
        cold = self.windows.missing({i for i in ids if i in self.configs})
        if cold:
            self._load_windows(conn, cold)

    def _load_configs(self, conn: Connection, ids: set[int]) -> dict[int, EngineConfig]:
        chars = characteristics_repo.by_ids(conn, ids)
        rule_rows = characteristics_repo.rule_rows(conn, chars)
        limits = limits_repo.current(conn, chars)
        counts = samples_repo.count_included(conn, chars)
        out = {}
        for cid, c in chars.items():
            stored = [
                StoredRule(r.chart, r.rule_key, r.enabled, r.severity, r.params)
                for r in rule_rows[cid]
            ]
            bindings = self._rule_set(c.chart_type, stored)
            params = charts.params_for(c.chart_type, c.chart_params)
            row = limits.get(cid)
            in_force = (
                None
                if row is None
                else charts.limits_in_force(
                    c.chart_type, row.center_line, row.sigma, c.subgroup_size, params
                )
            )
            out[cid] = EngineConfig(
                id=cid,
                chart_type=c.chart_type,
                subgroup_size=c.subgroup_size,
                source=c.source,
                params=params,
                limits=in_force,
                limits_id=None if row is None else row.id,
                lines=charts.lines(in_force, c.subgroup_size),
                baseline_subgroups=c.baseline_subgroups or self.settings.baseline_subgroups,
                included=counts.get(cid, 0),
                rules=bindings,
                window=max(self.settings.default_window, lookback(bindings)),
            )
        return out

    def _rule_set(
        self, chart_type: str, stored: list[StoredRule]
    ) -> Mapping[str, tuple[RuleBinding, ...]]:
        """Resolved rules, shared by every characteristic configured alike (the evaluator
        groups characteristics by their rule set)."""
        key = (
            chart_type,
            tuple(
                sorted(
                    (
                        s.chart,
                        s.rule_key,
                        s.enabled,
                        s.severity,
                        json.dumps(s.params, sort_keys=True),
                    )
                    for s in stored
                )
            ),
        )
        if key not in self._rule_sets:
            self._rule_sets[key] = resolve_rules(self.rules, chart_type, stored)
        return self._rule_sets[key]

    def _load_windows(self, conn: Connection, ids: set[int]) -> None:
        keep = max(self.configs[i].window for i in ids)
        rows: dict[int, list[samples_repo.WindowRow]] = defaultdict(list)
        for r in samples_repo.recent_points(conn, ids, keep):
            rows[r.characteristic_id].append(r)
        weighted = [i for i in ids if is_time_weighted(self.configs[i].chart_type) and rows.get(i)]
        judged = samples_repo.count_judged(conn, {i: self.configs[i].limits_id for i in weighted})
        for cid in ids:
            points = rows.get(cid, [])
            z = np.array([p.z for p in points if p.z is not None], dtype=np.float64)
            zd = np.array(
                [p.z_dispersion for p in points if p.z_dispersion is not None], dtype=np.float64
            )
            last = points[-1] if points else None
            carry = None
            config = self.configs[cid]
            if last is not None and config.limits is not None and cid in judged:
                carry = charts.resume(
                    config.chart_type,
                    config.limits,
                    config.params,
                    last.statistic if last.limits_id == config.limits_id else None,
                    last.statistic_lower,
                    judged[cid],
                )
            self.windows.put(
                cid,
                Window(
                    z=z,
                    z_dispersion=zd,
                    last_value=None if last is None else last.value,
                    carry=carry,
                ),
            )


class _BatchWriter:
    """One attempt at writing a batch inside one transaction; touches no shared state (the
    caller applies the returned configs and windows only after the commit)."""

    def __init__(
        self,
        pipeline: Pipeline,
        conn: Connection,
        events: Sequence[SampleEvent],
        known: set[SampleKey],
    ) -> None:
        self.conn = conn
        self.events = events
        self.known = known
        self.rules = pipeline.rules
        self.configs: dict[int, EngineConfig] = {}
        self.windows: dict[int, Window] = {}
        self.pipeline = pipeline
        self.outcomes = [SampleOutcome() for _ in events]
        self.published = BatchEvents()
        self.received_at = datetime.now(UTC)
        self._dumped: dict[int, dict[str, Any]] = {}

    def config(self, cid: int) -> EngineConfig:
        return self.configs.get(cid) or self.pipeline.configs[cid]

    def window(self, cid: int) -> Window:
        return self.windows.get(cid) or self.pipeline.windows.get(cid)

    def write(
        self,
    ) -> tuple[list[SampleOutcome], BatchEvents, dict[int, EngineConfig], dict[int, Window]]:
        pending = self._validate()
        while pending:
            this_round, pending = self._split_at_baselines(pending)
            self._store_round(this_round)
        return self.outcomes, self.published, self.configs, self.windows

    def _validate(self) -> dict[int, _Series]:
        """The events to store, per characteristic in arrival order; invalid events and
        duplicates get their outcome here."""
        by_characteristic: dict[int, list[int]] = defaultdict(list)
        for i, e in enumerate(self.events):
            by_characteristic[e.characteristic_id].append(i)
        known: dict[int, set[datetime]] = defaultdict(set)
        for cid, ts in self.known:
            known[cid].add(ts)
        pending = {}
        for cid, idxs in by_characteristic.items():
            series = self._new(*self._valid(cid, idxs), known[cid])
            if series.indices:
                pending[cid] = series
        return dict(sorted(pending.items(), key=lambda item: item[1].indices[0]))

    def _valid(self, cid: int, idxs: list[int]) -> tuple[list[int], FloatArray]:
        """The events among ``idxs`` (all of characteristic ``cid``) that can be stored, with
        their measurements; checked as one array, event by event only if one is invalid."""
        config = self.pipeline.configs.get(cid)
        if config is not None and not is_attribute(config.chart_type):
            try:
                values = np.array([self.events[i].measurements for i in idxs], dtype=np.float64)
            except ValueError:  # subgroups of different sizes
                pass
            else:
                if (
                    values.shape == (len(idxs), config.subgroup_size)
                    and (np.abs(values) <= MAX_VALUE).all()
                    and all(
                        _takes(config, s) for s in {self.events[i].context.source for i in idxs}
                    )
                    and all(
                        self.events[i].count is None and self.events[i].size is None for i in idxs
                    )
                ):
                    return idxs, values
        valid = []
        for i in idxs:
            error = self.pipeline.rejection(self.events[i])
            if error:
                self.outcomes[i].error = error
            else:
                valid.append(i)
        if config is not None and is_attribute(config.chart_type):
            counts_and_sizes = [
                (self.events[i].count, self.events[i].size or config.subgroup_size) for i in valid
            ]
            return valid, np.array(counts_and_sizes, dtype=np.float64).reshape(len(valid), 2)
        size = config.subgroup_size if config else 0
        values = np.array([self.events[i].measurements for i in valid], dtype=np.float64)
        return valid, values.reshape(len(valid), size)

    def _new(self, idxs: list[int], values: FloatArray, known: set[datetime]) -> _Series:
        """The events not stored before nor earlier in the batch (the others are duplicates,
        or rejected when their time leaves the calendar in UTC)."""
        taken = set(known)
        keep, timestamps = [], []
        for k, i in enumerate(idxs):
            try:
                ts = utc(self.events[i].timestamp)
            except OverflowError:
                self.outcomes[i].error = Rejection("timestamp", "out of range once taken to UTC")
                continue
            if ts in taken:
                self.outcomes[i].duplicate = True
            else:
                taken.add(ts)
                keep.append(k)
                timestamps.append(ts)
        if len(keep) == len(idxs):
            return _Series(idxs, timestamps, values)
        return _Series([idxs[k] for k in keep], timestamps, values[keep])

    def _split_at_baselines(
        self, pending: dict[int, _Series]
    ) -> tuple[dict[int, _Series], dict[int, _Series]]:
        """Samples after the one that completes a baseline wait for the next round, which
        judges them against the limits that baseline gives."""
        now: dict[int, _Series] = {}
        later: dict[int, _Series] = {}
        for cid, series in pending.items():
            config = self.config(cid)
            if config.limits is None:
                room = max(1, config.baseline_subgroups - config.included)
                now[cid], rest = series.take(slice(room)), series.take(slice(room, None))
                if rest.indices:
                    later[cid] = rest
            else:
                now[cid] = series
        return now, later

    def _store_round(self, pending: dict[int, _Series]) -> None:
        prepared = {cid: self._prepare(cid, series) for cid, series in pending.items()}
        rows = [row for p in prepared.values() for row in p.rows]
        ids = samples_repo.insert_samples(self.conn, rows)
        if None in ids:
            raise _DuplicatesFound(
                {(r[0], r[1]) for r, i in zip(rows, ids, strict=True) if i is None}
            )
        stored = cast(list[int], ids)
        measurements: list[tuple[int, int, float]] = []
        start = 0
        for p in prepared.values():
            p.sample_ids = stored[start : start + len(p.rows)]
            start += len(p.rows)
            measurements.extend(p.measurement_rows())
        samples_repo.insert_measurements(self.conn, measurements)
        self._judge(prepared)
        for cid, p in prepared.items():
            self._advance(cid, p)

    def _prepare(self, cid: int, series: _Series) -> _Prepared:
        config = self.config(cid)
        window = self.window(cid)
        points = charts.new_points(
            config.chart_type,
            series.values,
            config.limits,
            config.lines,
            config.params,
            window.last_value,
            window.carry,
        )
        n = len(series.indices)
        contexts = [self.events[i].context for i in series.indices]
        attribute = is_attribute(config.chart_type)
        counts = series.values[:, 0].astype(int).tolist() if attribute else [None] * n
        sizes = series.values[:, 1].tolist() if attribute else [None] * n
        rows = list(
            zip(
                repeat(cid, n),
                series.timestamps,
                repeat(self.received_at, n),
                [c.source for c in contexts],
                [c.batch_number for c in contexts],
                [c.operator_id for c in contexts],
                repeat(config.subgroup_size, n),
                points.value.tolist(),
                _finite_or_none(points.dispersion),
                repeat(config.limits_id, n),
                _finite_or_none(points.z),
                _finite_or_none(points.z_dispersion),
                counts,
                sizes,
                _finite_or_none(points.statistic),
                _finite_or_none(points.statistic_lower),
                strict=True,
            )
        )
        measurements = np.empty((n, 0)) if attribute else series.values
        return _Prepared(series.indices, rows, measurements, points)

    def _judge(self, prepared: dict[int, _Prepared]) -> None:
        """Evaluate every rule once per chart over all characteristics of the round."""
        violation_rows: list[dict[str, Any]] = []
        targets: list[tuple[int, int]] = []  # (event index, sample id) per violation row
        for chart, attr, zattr in (("primary", "z", "z"), ("dispersion", "z_dispersion", "zd")):
            inputs, index = [], []
            for cid, p in prepared.items():
                config = self.config(cid)
                if config.limits is None:
                    continue
                znew = getattr(p, zattr)
                keep = np.flatnonzero(~np.isnan(znew))
                if keep.size == 0:
                    continue
                inputs.append(
                    SeriesInput(getattr(self.window(cid), attr), znew[keep], config.rules[chart])
                )
                index.append((cid, keep))
            for f in evaluate(inputs):
                cid, keep = index[f.row]
                p = prepared[cid]
                k = int(keep[f.point])
                violation_rows.append(self._violation_row(cid, chart, p, k, f))
                targets.append((p.event_indices[k], p.sample_ids[k]))
        if not violation_rows:
            return
        ids = violations_repo.insert_violations(self.conn, violation_rows)
        created_at = self.received_at.isoformat()
        for vid, row, (event_index, _) in zip(ids, violation_rows, targets, strict=True):
            payload = {
                "id": vid,
                **{k: v for k, v in row.items() if k != "limits_id"},
                "limits_id": row["limits_id"],
                "created_at": created_at,
                "acknowledged": False,
            }
            self.outcomes[event_index].violations.append(payload)
            self.published.violations.append(payload)

    def _violation_row(
        self, cid: int, chart: str, p: _Prepared, k: int, f: Firing
    ) -> dict[str, Any]:
        rule = f.binding.rule
        z = float(f.z_window[-1])
        details: dict[str, Any] = {
            "z": round(z, 6),
            "window": [round(v, 6) for v in f.z_window.tolist()],
            "params": dict(self._params(f.binding)),
        }
        if rule.sided:
            details["side"] = "upper" if z > 0 else "lower"
        return {
            "sample_id": p.sample_ids[k],
            "characteristic_id": cid,
            "chart": chart,
            "rule_key": rule.key,
            "rule_id": rule.rule_id,
            "rule_name": rule.name,
            "severity": f.binding.severity,
            "details": details,
            "limits_id": self.config(cid).limits_id,
        }

    def _params(self, binding: RuleBinding) -> dict[str, Any]:
        """A binding's parameters as stored with its violations (dumped once per batch)."""
        key = id(binding.params)
        if key not in self._dumped:
            self._dumped[key] = binding.params.model_dump()
        return self._dumped[key]

    def _advance(self, cid: int, p: _Prepared) -> None:
        """Move the characteristic's window and counters past the stored round; complete its
        baseline when this round filled it."""
        config = self.config(cid)
        self.windows[cid] = self.window(cid).extended(
            p.z, p.zd, p.points.last_value, p.points.carry, config.window
        )
        config = replace(config, included=config.included + len(p.rows))
        self.configs[cid] = config
        received_at = self.received_at.isoformat()
        for idx, sid, row, measurements in zip(
            p.event_indices, p.sample_ids, p.rows, p.measurements.tolist(), strict=True
        ):
            sample = {  # the row in SAMPLE_COLUMNS order, as the API shows a sample
                "id": sid,
                "characteristic_id": row[0],
                "timestamp": row[1].isoformat(),
                "received_at": received_at,
                "source": row[3],
                "batch_number": row[4],
                "operator_id": row[5],
                "subgroup_size": row[6],
                "value": row[7],
                "dispersion": row[8],
                "limits_id": row[9],
                "z": row[10],
                "z_dispersion": row[11],
                "count": row[12],
                "size": row[13],
                "statistic": row[14],
                "statistic_lower": row[15],
                "measurements": measurements,
                "mean": row[7],
                "excluded": False,
            }
            self.outcomes[idx].sample = sample
            self.published.samples.append(sample)
        if config.limits is None and config.included >= config.baseline_subgroups:
            self._complete_baseline(config)

    def _complete_baseline(self, config: EngineConfig) -> None:
        try:
            limits, history = limit_versions.calculate(
                self.conn, config.id, config.chart_type, config.subgroup_size, config.params
            )
        except ValueError as exc:
            log.warning("baseline of characteristic %d gives no limits yet: %s", config.id, exc)
            return
        version = limit_versions.store(
            self.conn, config.id, limits, method="baseline", created_by="system", history=history
        )
        self.configs[config.id] = replace(
            config,
            limits=limits,
            limits_id=version["id"],
            lines=charts.lines(limits, config.subgroup_size),
        )
        self.published.limits.append(version)


@dataclass(frozen=True)
class _Series:
    """New events of one characteristic: indices into the batch, UTC timestamps and data
    (events × subgroup size measurements, or × (count, size)), in arrival order."""

    indices: list[int]
    timestamps: list[datetime]
    values: FloatArray

    def take(self, which: slice | list[int]) -> _Series:
        if isinstance(which, slice):
            return _Series(self.indices[which], self.timestamps[which], self.values[which])
        return _Series(
            [self.indices[k] for k in which],
            [self.timestamps[k] for k in which],
            self.values[which],
        )


@dataclass
class _Prepared:
    event_indices: list[int]
    rows: list[tuple[Any, ...]]  # in samples_repo.SAMPLE_COLUMNS order
    measurements: FloatArray  # events × subgroup size (no columns for attribute samples)
    points: charts.NewPoints
    sample_ids: list[int] = field(default_factory=list)

    @property
    def z(self) -> FloatArray:
        return self.points.z

    @property
    def zd(self) -> FloatArray:
        return self.points.z_dispersion

    def measurement_rows(self) -> list[tuple[int, int, float]]:
        n, size = self.measurements.shape
        sample_ids = np.repeat(np.asarray(self.sample_ids, dtype=np.int64), size).tolist()
        positions = np.tile(np.arange(size), n).tolist()
        return list(zip(sample_ids, positions, self.measurements.ravel().tolist(), strict=True))


def _attribute_rejection(config: EngineConfig, e: SampleEvent) -> Rejection | None:
    """Why an attribute sample (a count in a size) cannot be stored, if it cannot."""
    if e.measurements:
        return Rejection(
            "measurements",
            f"{a_chart(config.chart_type)} takes a count and a size, not measurements",
        )
    if e.count is None:
        return Rejection("count", "a count is required")
    if not (math.isfinite(e.count) and e.count >= 0 and e.count == int(e.count)):
        return Rejection("count", "the count must be a whole number >= 0")
    if e.count > MAX_VALUE:
        return Rejection("count", f"the count must be at most {MAX_VALUE:g}")
    size = config.subgroup_size if e.size is None else e.size
    if not (math.isfinite(size) and 0 < size <= MAX_VALUE):
        return Rejection("size", f"the size must be a number > 0 and at most {MAX_VALUE:g}")
    if config.chart_type in ("np", "c") and size != config.subgroup_size:
        return Rejection(
            "size",
            f"{a_chart(config.chart_type)} has one size ({config.subgroup_size}), not {size:g}",
        )
    if config.chart_type in ("p", "np"):
        if size != int(size):
            return Rejection("size", f"{a_chart(config.chart_type)} inspects whole items")
        if e.count > size:
            return Rejection("count", f"the count of nonconforming items must be within {size:g}")
    return None


def _takes(config: EngineConfig, source: str) -> bool:
    """Whether a characteristic takes data from a source (imports go anywhere)."""
    return source == "IMPORT" or (source == "MANUAL") == (config.source == "MANUAL")


def _finite_or_none(values: FloatArray) -> list[float | None]:
    out = values.astype(object)
    out[~np.isfinite(values)] = None
    return out.tolist()
