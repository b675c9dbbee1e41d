"""Which subgroups of a file can be imported, and why the others cannot: vectorized checks
over each chunk, in the order a reader would give the reasons.

1. unknown characteristic (not mapped, not an id, or no such characteristic), or one whose
   chart does not take what the mapping reads (measurements for an attribute chart, counts
   for another)
2. timestamp missing, unparseable, or not a local time of the mapping's time zone
3. a measurement cell that is not a number, not finite (or, long layout, missing); a count
   cell that is missing or not a whole number >= 0, a size cell that is not a number > 0
4. a subgroup size other than the characteristic's; an attribute sample's size that its
   chart does not take (np and c: only the configured one; p and np: whole items), or a
   count of nonconforming items (p, np) larger than the size
5. a duplicate (same characteristic and timestamp) of an earlier line of the file
6. earlier than a subgroup of the same characteristic accepted from an earlier chunk: a
   chunk is put in time order per characteristic before it is stored, but a file larger
   than one chunk must itself be in time order per characteristic

Subgroups stored before the import are not rejected here: the pipeline recognizes them
(duplicates by characteristic and timestamp) and stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from openspc.stats.chart_types import a_chart, is_attribute
from openspc_batch.mapping import ColumnMapping, MappingError
from openspc_batch.timestamps import UTC


@dataclass(frozen=True)
class Target:
    """A characteristic as the import sees it."""

    id: int
    chart_type: str
    subgroup_size: int  # attribute charts: the size of a sample that gives none
    has_limits: bool
    chart_params: dict[str, Any] = field(default_factory=dict)  # EWMA/CUSUM parameters


def kind_mismatch(mapping: ColumnMapping, target: Target) -> str | None:
    """Why a characteristic's chart does not take what the mapping reads, if it does not."""
    if is_attribute(target.chart_type) and not mapping.attributes:
        return (
            f"characteristic {target.id} is {a_chart(target.chart_type)}: its samples are a "
            "count and a size, not measurements (map the count column, and the size column "
            "if sizes vary; the wide layout cannot carry them)"
        )
    if mapping.attributes and not is_attribute(target.chart_type):
        return (
            f"characteristic {target.id} is {a_chart(target.chart_type)}: it takes "
            "measurements, not a count"
        )
    return None


def check_kind(mapping: ColumnMapping, target: Target | None) -> None:
    """Raise :class:`MappingError` when the mapping's one characteristic cannot take its
    rows (the rows would all be rejected)."""
    reason = None if target is None else kind_mismatch(mapping, target)
    if reason is not None:
        raise MappingError(reason)


Lookup = Callable[[Collection[int]], dict[int, Target]]
KEYS: dict[str, pl.DataType] = {"cid": pl.Int64(), "ts": UTC, "line": pl.UInt64()}


@dataclass(frozen=True)
class Checked:
    """A validated chunk: accepted subgroups in time order per characteristic (``line``,
    ``cid``, ``ts``, ``measurements``, ``count``, ``size``, ``batch_number``,
    ``operator_id``), and rejected ones (``line``, ``reason``) in line order."""

    accepted: pl.DataFrame
    rejected: pl.DataFrame


class Validator:
    """Validates the chunks of one file in file order; it remembers what it accepted, for
    duplicates across chunks and the time order."""

    def __init__(self, mapping: ColumnMapping, lookup: Lookup) -> None:
        self.mapping = mapping
        self.lookup = lookup
        self.targets: dict[int, Target] = {}
        self._looked_up: set[int] = set()
        self._accepted = pl.DataFrame(schema=KEYS)
        self._latest = pl.DataFrame(schema=KEYS)

    def __call__(self, subgroups: pl.DataFrame) -> Checked:
        ids = self._ids(subgroups["key"])
        frame = subgroups.with_columns(
            cid=ids, expected=self._size_of(ids), mismatch=self._mismatch(ids)
        )
        frame = frame.with_columns(_reason(self.mapping), _reason_line())
        rejected = frame.filter(pl.col("reason").is_not_null())
        ok = frame.filter(pl.col("reason").is_null())
        ok = self._order_checked(ok)
        accepted = ok.filter(pl.col("reason").is_null()).sort("cid", "ts")
        self._remember(accepted)
        rejected = pl.concat(
            [
                rejected.select(pl.col("reason_line").alias("line"), "reason"),
                ok.filter(pl.col("reason").is_not_null()).select("line", "reason"),
            ]
        ).sort("line")
        return Checked(
            accepted.select(
                "line", "cid", "ts", "measurements", "count", "size", "batch_number", "operator_id"
            ),
            rejected,
        )

    def sizes(self, keys: pl.Series) -> pl.Series:
        """The subgroup size of each characteristic as written in the file (null: unknown,
        or an attribute chart, whose rows are not subgroups of measurements)."""
        ids = self._ids(keys)
        self._learn(ids.drop_nulls().unique().to_list())
        size = {
            t.id: t.subgroup_size for t in self.targets.values() if not is_attribute(t.chart_type)
        }
        return ids.replace_strict(size, default=None, return_dtype=pl.Int64)

    def _ids(self, keys: pl.Series) -> pl.Series:
        if self.mapping.characteristics:
            return keys.replace_strict(
                self.mapping.characteristics, default=None, return_dtype=pl.Int64
            )
        return keys.cast(pl.Int64, strict=False)

    def _size_of(self, ids: pl.Series) -> pl.Series:
        self._learn(ids.drop_nulls().unique().to_list())
        size = {t.id: t.subgroup_size for t in self.targets.values()}
        return ids.replace_strict(size, default=None, return_dtype=pl.Int64)

    def _mismatch(self, ids: pl.Series) -> pl.Series:
        """Per subgroup: why its characteristic's chart does not take what the mapping
        reads (null: it does), and its attribute chart type."""
        reasons = {t.id: kind_mismatch(self.mapping, t) for t in self.targets.values()}
        charts = {t.id: t.chart_type for t in self.targets.values() if is_attribute(t.chart_type)}
        return pl.DataFrame(
            {
                "reason": ids.replace_strict(
                    {k: v for k, v in reasons.items() if v}, default=None, return_dtype=pl.String
                ),
                "chart": ids.replace_strict(charts, default=None, return_dtype=pl.String),
            }
        ).to_struct()

    def _learn(self, ids: list[int]) -> None:
        new = set(ids) - self._looked_up
        if new:
            self.targets.update(self.lookup(new))
            self._looked_up |= new

    def _order_checked(self, ok: pl.DataFrame) -> pl.DataFrame:
        """Duplicates within the file and subgroups out of time order get their reason."""
        earlier = self._accepted.rename({"line": "stored_line"})
        latest = self._latest.rename({"ts": "latest_ts", "line": "latest_line"})
        first = pl.col("line").min().over("cid", "ts")
        return (
            ok.join(earlier, on=["cid", "ts"], how="left", maintain_order="left")
            .join(latest, on="cid", how="left", maintain_order="left")
            .with_columns(
                pl.when(pl.col("stored_line").is_not_null())
                .then(pl.format("duplicate of line {}", pl.col("stored_line")))
                .when(pl.col("line") != first)
                .then(pl.format("duplicate of line {}", first))
                .when(pl.col("ts") < pl.col("latest_ts"))
                .then(
                    pl.format(
                        "earlier than line {} of the same characteristic: a file larger than "
                        "one chunk must be in time order per characteristic",
                        pl.col("latest_line"),
                    )
                )
                .alias("reason")
            )
        )

    def _remember(self, accepted: pl.DataFrame) -> None:
        """Keep the accepted keys, and the latest (timestamp, line) per characteristic."""
        keys = accepted.select(list(KEYS))
        self._accepted = pl.concat([self._accepted, keys])
        latest = keys.group_by("cid").agg(pl.all().last())  # keys are in (cid, ts) order
        self._latest = (
            pl.concat([self._latest, latest.select(list(KEYS))])
            .sort("ts")
            .group_by("cid")
            .agg(pl.all().last())
            .select(list(KEYS))
        )


def _reason(mapping: ColumnMapping) -> pl.Expr:
    n = pl.col("measurements").list.len()
    reason = (
        pl.when(pl.col("key").is_null())
        .then(pl.lit("missing characteristic"))
        .when(pl.col("expected").is_null())
        .then(pl.format("unknown characteristic '{}'", pl.col("key")))
        .when(pl.col("mismatch").struct.field("reason").is_not_null())
        .then(pl.col("mismatch").struct.field("reason"))
        .when(pl.col("ts_reason").is_not_null())
        .then(pl.col("ts_reason"))
        .when(pl.col("bad").is_not_null())
        .then(pl.col("bad"))
    )
    if not mapping.attributes:
        return (
            reason.when(n != pl.col("expected"))
            .then(pl.format("expected {} measurements, got {}", pl.col("expected"), n))
            .alias("reason")
        )
    chart = pl.col("mismatch").struct.field("chart")
    size = pl.col("size").fill_null(pl.col("expected").cast(pl.Float64))
    return (
        reason.when(chart.is_in(["np", "c"]) & (size != pl.col("expected")))
        .then(
            pl.format(
                "a {} chart has one sample size ({}), not {}",
                chart,
                pl.col("expected"),
                _number_text(size),
            )
        )
        .when(chart.is_in(["p", "np"]) & (size != size.floor()))
        .then(
            pl.format(
                "{} {} is not a whole number of items", pl.lit(mapping.size), _number_text(size)
            )
        )
        .when(chart.is_in(["p", "np"]) & (pl.col("count") > size))
        .then(
            pl.format(
                "{} {} is more than the {} items of the sample",
                pl.lit(mapping.count),
                _number_text(pl.col("count")),
                _number_text(size),
            )
        )
        .alias("reason")
    )


def _number_text(number: pl.Expr) -> pl.Expr:
    """A number as text, whole numbers without a decimal point."""
    whole = number == number.floor()
    return (
        pl.when(whole).then(number.cast(pl.Int64).cast(pl.String)).otherwise(number.cast(pl.String))
    )


def _reason_line() -> pl.Expr:
    """The line a rejection names: the bad cell's, else the subgroup's (first) line."""
    value_problem = (
        pl.col("expected").is_not_null()
        & pl.col("mismatch").struct.field("reason").is_null()
        & pl.col("ts_reason").is_null()
        & pl.col("bad").is_not_null()
    )
    return pl.when(value_problem).then(pl.col("bad_line")).otherwise("line").alias("reason_line")
