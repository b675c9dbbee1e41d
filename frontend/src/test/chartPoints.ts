// Chart data for tests: points and per-point limits as the chart endpoint returns them.
import type { ChartPoint, ChartViolation, PointLimits } from '@/lib/api';

export const rule1: ChartViolation = {
  id: 1,
  rule_key: 'nelson.1',
  rule_id: 1,
  rule_name: 'Beyond limits',
  severity: 'CRITICAL',
  chart: 'primary',
  acknowledged: false,
};

/** One chart's lines with zones at thirds of the distance to the UCL (none on EWMA/CUSUM);
 * ``floor`` clips the lower zones as an attribute chart's LCL is clipped. */
export function pointLimits(center: number, ucl: number, lcl: number, { zones = true, floor = -Infinity } = {}): PointLimits {
  const s = (ucl - center) / 3;
  return {
    id: 1,
    center_line: center,
    ucl,
    lcl,
    sigma_point: s,
    zones: zones ? { '+1': center + s, '+2': center + 2 * s, '-1': Math.max(floor, center - s), '-2': Math.max(floor, center - 2 * s) } : null,
    dispersion_center: null,
    dispersion_ucl: null,
    dispersion_lcl: null,
  };
}

/** The ``i``-th point (a minute apart), with the given fields. */
export function chartPoint(i: number, change: Partial<ChartPoint>): ChartPoint {
  return {
    sample_id: 100 + i,
    timestamp: new Date(Date.UTC(2026, 0, 1, 8, i)).toISOString(),
    value: 0,
    dispersion: null,
    subgroup_size: 1,
    count: null,
    size: null,
    statistic: null,
    statistic_lower: null,
    excluded: false,
    limits: null,
    violations: [],
    ...change,
  };
}
