"""SPC statistics: chart constants, control limits, z-scores, capability, normality.

Pure NumPy, no I/O. Every function works on arrays of many subgroups at once; one new subgroup
is a one-row array.
"""

from openspc.stats.capability import Capability, Histogram, capability, histogram
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
    CHART_TYPES,
    DEFAULT_SIGMA_METHOD,
    Band,
    ChartType,
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

__all__ = [
    "CHART_TYPES",
    "DEFAULT_SIGMA_METHOD",
    "MAX_SUBGROUP_SIZE",
    "MIN_SUBGROUP_SIZE",
    "SIGMA_METHODS",
    "AndersonDarling",
    "Band",
    "Capability",
    "ChartConstants",
    "ChartType",
    "ControlLimits",
    "Histogram",
    "PlottedPoints",
    "PointLimits",
    "SigmaMethod",
    "SubgroupStats",
    "anderson_darling",
    "anderson_darling_p_value",
    "c4",
    "capability",
    "constants",
    "d2",
    "d3",
    "estimate_limits",
    "histogram",
    "limits_from_sigma",
    "moving_ranges",
    "normal_cdf",
    "plotted_points",
    "point_limits",
    "sigma_from_individuals",
    "sigma_from_subgroups",
    "standardize",
    "subgroup_stats",
]
