"""New control-limit versions: by hand, or recalculated from a chosen range of history."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection

from openspc.db.repo import limits as limits_repo
from openspc.db.repo import samples as samples_repo
from openspc.db.repo.samples import HistoryRow
from openspc.engine.charts import estimate, limits_in_force
from openspc.stats.chart_types import a_chart, is_attribute, is_time_weighted
from openspc.stats.limits import ControlLimits
from openspc.stats.time_weighted import TimeWeightedParams


def manual_limits(
    chart_type: Any,
    subgroup_size: int,
    params: TimeWeightedParams | None,
    center_line: float,
    *,
    sigma: float | None = None,
    ucl: float | None = None,
    lcl: float | None = None,
) -> ControlLimits:
    """Limits given by hand. Variables charts: a center line and either the process sigma or
    the primary chart's UCL/LCL (then sigma = (UCL - LCL) / 6 · √n, so the given lines are
    CL ± 3σ/√n). Attribute charts: the center line only (p̄, n·p̄, c̄ or ū; σ follows from
    it). EWMA and CUSUM: the target as center line and the process sigma."""
    if is_attribute(chart_type):
        if sigma is not None or ucl is not None or lcl is not None:
            raise ValueError(
                f"{a_chart(chart_type)}'s sigma and limits follow from its center line"
            )
    elif is_time_weighted(chart_type):
        if sigma is None:
            raise ValueError(f"give sigma: the process σ the {chart_type} chart watches")
    elif sigma is None:
        if ucl is None or lcl is None or not ucl > lcl:
            raise ValueError("give sigma, or ucl and lcl with ucl > lcl")
        sigma = (ucl - lcl) / 6.0 * math.sqrt(subgroup_size)
    return limits_in_force(
        chart_type, center_line, math.nan if sigma is None else sigma, subgroup_size, params
    )


def calculate(
    conn: Connection,
    characteristic_id: int,
    chart_type: Any,
    subgroup_size: int,
    params: TimeWeightedParams | None,
    *,
    from_id: int | None = None,
    to_id: int | None = None,
    sigma_method: Any = None,
) -> tuple[ControlLimits, list[HistoryRow]]:
    """Limits from the non-excluded samples of a range (raises ValueError when too few)."""
    history = samples_repo.history(conn, characteristic_id, from_id=from_id, to_id=to_id)
    if not history:
        raise ValueError("no samples in that range")
    return estimate(chart_type, history, subgroup_size, params, sigma_method), history


def store(
    conn: Connection,
    characteristic_id: int,
    limits: ControlLimits,
    *,
    method: str,
    created_by: str,
    history: list[HistoryRow] | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    """Store a new version and return it as the API shows it."""
    row = limits_repo.add_version(
        conn,
        characteristic_id,
        limits_values(
            limits,
            method=method,
            from_id=history[0].id if history else None,
            to_id=history[-1].id if history else None,
            count=len(history) if history else None,
            created_by=created_by,
            comment=comment,
        ),
    )
    return limits_payload(row)


def limits_values(
    limits: ControlLimits,
    *,
    method: str,
    from_id: int | None = None,
    to_id: int | None = None,
    count: int | None = None,
    created_by: str = "system",
    comment: str | None = None,
) -> dict[str, Any]:
    """The column values of a limits version row."""
    return {
        "center_line": limits.center_line,
        "sigma": limits.sigma,
        "ucl": limits.ucl,
        "lcl": limits.lcl,
        "subgroup_size": limits.subgroup_size,
        "dispersion_center": limits.dispersion_center,
        "dispersion_ucl": limits.dispersion_ucl,
        "dispersion_lcl": limits.dispersion_lcl,
        "method": method,
        "from_sample_id": from_id,
        "to_sample_id": to_id,
        "sample_count": count,
        "created_by": created_by,
        "comment": comment,
    }


def limits_payload(row: Any) -> dict[str, Any]:
    """A limits version as the API and the ``limits_update`` event show it."""
    return {
        "id": row.id,
        "characteristic_id": row.characteristic_id,
        "version": row.version,
        "center_line": row.center_line,
        "sigma": row.sigma,
        "ucl": row.ucl,
        "lcl": row.lcl,
        "subgroup_size": row.subgroup_size,
        "dispersion_center": row.dispersion_center,
        "dispersion_ucl": row.dispersion_ucl,
        "dispersion_lcl": row.dispersion_lcl,
        "method": row.method,
        "from_sample_id": row.from_sample_id,
        "to_sample_id": row.to_sample_id,
        "sample_count": row.sample_count,
        "created_by": row.created_by,
        "comment": row.comment,
        "created_at": row.created_at.isoformat() if row.created_at else None,
    }
