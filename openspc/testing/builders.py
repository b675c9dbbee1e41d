"""Test data builders: characteristics straight in the database, and sample events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from openspc.contracts import SampleContext, SampleEvent
from openspc.db import models as m
from openspc.db.engine import make_engine
from openspc.engine.limit_versions import limits_values
from openspc.stats.limits import limits_from_sigma

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
        **extra: Any,
    ) -> int:
        with self.engine.begin() as conn:
            cid = conn.execute(
                insert(m.Characteristic)
                .values(
                    hierarchy_id=self.line,
                    name=name,
                    chart_type=chart_type,
                    subgroup_size=n,
                    **{"source": "MANUAL", "decimal_places": 3, "chart_params": {}, **extra},
                )
                .returning(m.Characteristic.id)
            ).scalar_one()
            if center is not None:
                limits = limits_from_sigma(chart_type, center, sigma, n)  # type: ignore[arg-type]
                conn.execute(
                    insert(m.ControlLimits).values(
                        characteristic_id=cid, version=1, **limits_values(limits, method="manual")
                    )
                )
        return int(cid)
