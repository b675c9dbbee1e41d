"""Which subgroups of a file can be imported, and why the others cannot: vectorized checks
over each chunk, in the order a reader would give the reasons.

1. unknown characteristic (not mapped, not an id, or no such characteristic)
2. timestamp missing, unparseable, or not a local time of the mapping's time zone
3. a measurement cell that is not a number, not finite (or, long layout, missing)
4. a subgroup size other than the characteristic's
5. a duplicate (same characteristic and timestamp) of an earlier line of the file
6. earlier than a subgroup of the same characteristic accepted from an earlier chunk: a
   chunk is put in time order per characteristic before it is stored, but a file larger
   than one chunk must itself be in time order per characteristic

Subgroups stored before the import are not rejected here: the pipeline recognizes them
(duplicates by characteristic and timestamp) and stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import polars as pl

from openspc_batch.mapping import ColumnMapping
from openspc_batch.timestamps import UTC


@dataclass(frozen=True)
class Target:
    """A characteristic as the import sees it."""

    id: int
    chart_type: str
    subgroup_size: int
    has_limits: bool


Lookup = Callable[[Collection[int]], dict[int, Target]]
KEYS: dict[str, pl.DataType] = {"cid": pl.Int64(), "ts": UTC, "line": pl.UInt64()}


@dataclass(frozen=True)
class Checked:
    """A validated chunk: accepted subgroups in time order per characteristic (``line``,
    ``cid``, ``ts``, ``measurements``, ``batch_number``, ``operator_id``), and rejected ones
    (``line``, ``reason``) in line order."""

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
        frame = subgroups.with_columns(cid=ids, size=self._size_of(ids))
        frame = frame.with_columns(_reason(), _reason_line())
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
            accepted.select("line", "cid", "ts", "measurements", "batch_number", "operator_id"),
            rejected,
        )

    def sizes(self, keys: pl.Series) -> pl.Series:
        """The subgroup size of each characteristic as written in the file (null: unknown)."""
        return self._size_of(self._ids(keys))

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


def _reason() -> pl.Expr:
    n = pl.col("measurements").list.len()
    return (
        pl.when(pl.col("key").is_null())
        .then(pl.lit("missing characteristic"))
        .when(pl.col("size").is_null())
        .then(pl.format("unknown characteristic '{}'", pl.col("key")))
        .when(pl.col("ts_reason").is_not_null())
        .then(pl.col("ts_reason"))
        .when(pl.col("bad").is_not_null())
        .then(pl.col("bad"))
        .when(n != pl.col("size"))
        .then(pl.format("expected {} measurements, got {}", pl.col("size"), n))
        .alias("reason")
    )


def _reason_line() -> pl.Expr:
    """The line a rejection names: the bad cell's, else the subgroup's (first) line."""
    value_problem = (
        pl.col("size").is_not_null() & pl.col("ts_reason").is_null() & pl.col("bad").is_not_null()
    )
    return pl.when(value_problem).then(pl.col("bad_line")).otherwise("line").alias("reason_line")
