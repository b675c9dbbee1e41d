"""Control limits from a baseline range of an import: the first N subgroups of the file of
each characteristic that has no limits yet, calculated and stored before anything is stored,
so that the whole imported history (the baseline range too) is judged against them.

Every chart type estimates its limits the way a recalculation does
(:func:`openspc.engine.charts.estimate`): variables charts from their subgroups, attribute
charts from counts and sizes, EWMA and CUSUM with the characteristic's chart parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Engine

from openspc.db.repo import audit
from openspc.db.repo import limits as limits_repo
from openspc.db.repo.samples import HistoryRow
from openspc.engine import limit_versions
from openspc.engine.charts import estimate, params_for
from openspc_batch.validation import Target


class Baselines:
    """Collects the first ``size`` accepted subgroups of characteristics without limits."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.subgroups: dict[int, list[HistoryRow]] = {}

    def add(self, accepted: pl.DataFrame, targets: Mapping[int, Target]) -> None:
        wanted = [
            t.id
            for t in targets.values()
            if not t.has_limits and len(self.subgroups.get(t.id, ())) < self.size
        ]
        first = (
            accepted.filter(pl.col("cid").is_in(wanted))
            .group_by("cid", maintain_order=True)
            .head(self.size)
        )
        columns = ("line", "cid", "measurements", "count", "size")
        for line, cid, measurements, count, size in zip(
            *(first[name].to_list() for name in columns), strict=True
        ):
            collected = self.subgroups.setdefault(cid, [])
            if len(collected) < self.size:
                if count is not None and size is None:
                    size = float(targets[cid].subgroup_size)
                count = None if count is None else int(count)
                collected.append(HistoryRow(line, measurements, count, size, False))

    def store(
        self, engine: Engine, targets: Mapping[int, Target], actor: str, file: str
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """Calculate and store the limits (one transaction); returns the new versions and
        notes on the characteristics that got none."""
        versions, notes = [], []
        with engine.begin() as conn:
            has_limits = limits_repo.current(conn, self.subgroups)  # set meanwhile?
            for cid, subgroups in self.subgroups.items():
                if cid in has_limits:
                    notes.append(f"characteristic {cid} got limits meanwhile; baseline not used")
                    continue
                target = targets[cid]
                try:
                    params = params_for(target.chart_type, target.chart_params)
                    limits = estimate(target.chart_type, subgroups, target.subgroup_size, params)
                except ValueError as exc:
                    notes.append(f"characteristic {cid}: no baseline limits ({exc})")
                    continue
                if len(subgroups) < self.size:
                    notes.append(
                        f"characteristic {cid}: baseline of {len(subgroups)} subgroups, "
                        f"the file has no more"
                    )
                row = limits_repo.add_version(
                    conn,
                    cid,
                    limit_versions.limits_values(
                        limits,
                        method="baseline",
                        count=len(subgroups),
                        created_by=actor,
                        comment=f"import baseline: first {len(subgroups)} subgroups of {file}",
                    ),
                )
                version = limit_versions.limits_payload(row)
                audit.record(conn, actor, "set", "limits", cid, after=version)
                versions.append(version)
        return versions, notes
