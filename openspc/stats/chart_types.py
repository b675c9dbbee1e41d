"""The chart types OpenSPC plots, by family.

- variables (X̄-R, X̄-S, I-MR): measurements, a location and a dispersion chart;
- attributes (p, np, c, u): a count and a sample size, one chart;
- time-weighted (EWMA, CUSUM): measurements, one chart of a statistic that carries memory
  from point to point, so only the beyond-limits signal applies to it.
"""

from __future__ import annotations

from typing import Literal, get_args

VariableChartType = Literal["xbar_r", "xbar_s", "imr"]
AttributeChartType = Literal["p", "np", "c", "u"]
TimeWeightedChartType = Literal["ewma", "cusum"]
ChartType = Literal[VariableChartType, AttributeChartType, TimeWeightedChartType]

VARIABLE_CHARTS: tuple[VariableChartType, ...] = get_args(VariableChartType)
ATTRIBUTE_CHARTS: tuple[AttributeChartType, ...] = get_args(AttributeChartType)
TIME_WEIGHTED_CHARTS: tuple[TimeWeightedChartType, ...] = get_args(TimeWeightedChartType)
CHART_TYPES: tuple[ChartType, ...] = get_args(ChartType)


def is_attribute(chart_type: str) -> bool:
    return chart_type in ATTRIBUTE_CHARTS


def is_time_weighted(chart_type: str) -> bool:
    return chart_type in TIME_WEIGHTED_CHARTS


def has_dispersion_chart(chart_type: str) -> bool:
    """Only variables charts pair their location chart with an R, S or MR chart."""
    return chart_type in VARIABLE_CHARTS


def a_chart(chart_type: str) -> str:
    """``"a p chart"``, ``"an np chart"``: for messages (the article as the name is spoken)."""
    return f"{'an' if chart_type[:1] in ('e', 'i', 'n', 'x') else 'a'} {chart_type} chart"
