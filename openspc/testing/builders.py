"""Test data builders: characteristics straight in the database, and sample events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from openspc.contracts import SampleContext, SampleEvent
from openspc.db import models as m
from openspc.db.engine import make_engine
from openspc.engine.charts import limits_in_force, params_for
from openspc.engine.limit_versions import limits_values

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def events(
    cid: int, values: Sequence[float | list[float]], start: int = 0, source: str = "MANUAL"
) -> list[SampleEvent]:
    return [
        SampleEvent(
            characteristic_id=cid,
            timestamp=T0 + timedelta(seconds=start + i),
            measurements=v if isinstance(v, list) else [v],
            context=SampleContext(source=source),  # type: ignore[arg-type]
        )
        for i, v in enumerate(values)
    ]


def count_events(
    cid: int,
    counts: Sequence[float],
    sizes: Sequence[float | None] | None = None,
    start: int = 0,
    source: str = "MANUAL",
) -> list[SampleEvent]:
    """Attribute samples: a count in a size each (None: the characteristic's size)."""
    return [
        SampleEvent(
            characteristic_id=cid,
            timestamp=T0 + timedelta(seconds=start + i),
            count=count,
            size=None if sizes is None else sizes[i],
            context=SampleContext(source=source),  # type: ignore[arg-type]
        )
        for i, count in enumerate(counts)
    ]


class Plant:
    """Creates characteristics straight in the database (the API is tested elsewhere)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        with self.engine.begin() as conn:
            self.line = conn.execute(
                insert(m.Hierarchy).values(name="Line 1", type="line").returning(m.Hierarchy.id)
            ).scalar_one()

    def characteristic(
        self,
        name: str = "c",
        chart_type: str = "imr",
        n: int = 1,
        *,
        center: float | None = 0.0,
        sigma: float = 1.0,
        chart_params: dict[str, Any] | None = None,
        **extra: Any,
    ) -> int:
        """A characteristic with manual limits (center, σ; an attribute chart's σ follows
        from its center), or without limits (``center=None``: it collects a baseline)."""
        params = params_for(chart_type, chart_params or {})
        stored_params = {} if params is None else params.model_dump(by_alias=True)
        with self.engine.begin() as conn:
            cid = conn.execute(
                insert(m.Characteristic)
                .values(
                    hierarchy_id=self.line,
                    name=name,
                    chart_type=chart_type,
                    subgroup_size=n,
                    chart_params=stored_params,
                    **{"source": "MANUAL", "decimal_places": 3, **extra},
                )
                .returning(m.Characteristic.id)
            ).scalar_one()
            if center is not None:
                limits = limits_in_force(chart_type, center, sigma, n, params)
                conn.execute(
                    insert(m.ControlLimits).values(
                        characteristic_id=cid, version=1, **limits_values(limits, method="manual")
                    )
                )
        return int(cid)
