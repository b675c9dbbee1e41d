"""SPC statistics: chart constants, control limits (variables, attribute and time-weighted
charts), z-scores, capability, normality.

Pure NumPy, no I/O. Every function works on arrays of many subgroups at once; one new subgroup
is a one-row array.
"""

from openspc.stats.attributes import (
    attribute_band,
    attribute_limits,
    estimate_attribute_limits,
    plotted_attribute,
)
from openspc.stats.capability import Capability, Histogram, capability, histogram
from openspc.stats.chart_types import (
    ATTRIBUTE_CHARTS,
    CHART_TYPES,
    TIME_WEIGHTED_CHARTS,
    VARIABLE_CHARTS,
    ChartType,
)
from openspc.stats.constants import (
    MAX_SUBGROUP_SIZE,
    MIN_SUBGROUP_SIZE,
    ChartConstants,
    c4,
    constants,
    d2,
    d3,
)
from openspc.stats.limits import (
    DEFAULT_SIGMA_METHOD,
    Band,
    ControlLimits,
    PlottedPoints,
    PointLimits,
    estimate_limits,
    limits_from_sigma,
    plotted_points,
    point_limits,
    standardize,
)
from openspc.stats.normal import normal_cdf
from openspc.stats.normality import AndersonDarling, anderson_darling, anderson_darling_p_value
from openspc.stats.sigma import (
    SIGMA_METHODS,
    SigmaMethod,
    sigma_from_individuals,
    sigma_from_subgroups,
)
from openspc.stats.subgroups import SubgroupStats, moving_ranges, subgroup_stats
from openspc.stats.time_weighted import (
    CusumParams,
    EwmaParams,
    cusum,
    estimate_time_weighted_limits,
    ewma,
    time_weighted_limits,
)

__all__ = [
    "ATTRIBUTE_CHARTS",
    "CHART_TYPES",
    "DEFAULT_SIGMA_METHOD",
    "MAX_SUBGROUP_SIZE",
    "MIN_SUBGROUP_SIZE",
    "SIGMA_METHODS",
    "TIME_WEIGHTED_CHARTS",
    "VARIABLE_CHARTS",
    "AndersonDarling",
    "Band",
    "Capability",
    "ChartConstants",
    "ChartType",
    "ControlLimits",
    "CusumParams",
    "EwmaParams",
    "Histogram",
    "PlottedPoints",
    "PointLimits",
    "SigmaMethod",
    "SubgroupStats",
    "anderson_darling",
    "anderson_darling_p_value",
    "attribute_band",
    "attribute_limits",
    "c4",
    "capability",
    "constants",
    "cusum",
    "d2",
    "d3",
    "estimate_attribute_limits",
    "estimate_limits",
    "estimate_time_weighted_limits",
    "ewma",
    "histogram",
    "limits_from_sigma",
    "moving_ranges",
    "normal_cdf",
    "plotted_attribute",
    "plotted_points",
    "point_limits",
    "sigma_from_individuals",
    "sigma_from_subgroups",
    "standardize",
    "subgroup_stats",
    "time_weighted_limits",
]
