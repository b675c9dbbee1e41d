import { describe, expect, it } from 'vitest';
import type { LimitsOut } from '@/lib/api';
import { chartPoint, pointLimits, rule1 } from '@/test/chartPoints';
import { pointSummary, previewLines, toRows, yDomain } from './chartModel';

describe('attribute charts', () => {
  // p chart, p̄ = 0.1: the limits follow each sample's size, LCL clipped at 0
  const points = [
    chartPoint(0, { value: 0.1, count: 5, size: 50, subgroup_size: 50, limits: pointLimits(0.1, 0.2273, 0, { floor: 0 }) }),
    chartPoint(1, { value: 0.05, count: 4, size: 80, subgroup_size: 50, limits: pointLimits(0.1, 0.2006, 0, { floor: 0 }) }),
    chartPoint(2, { value: 0.4, count: 20, size: 50, subgroup_size: 50, limits: pointLimits(0.1, 0.2273, 0, { floor: 0 }), violations: [rule1] }),
  ];

  it('plots the fraction against limits that step with the sample size', () => {
    const rows = toRows(points, 'p');
    expect(rows.map((r) => r.y)).toEqual([0.1, 0.05, 0.4]);
    expect(rows.map((r) => r.ucl)).toEqual([0.2273, 0.2006, 0.2273]);
    expect(rows.map((r) => r.raw)).toEqual([null, null, null]);
    expect(rows[0].zoneA).toEqual([0, 0.2273]);
    expect(rows[2].severity.primary).toBe('CRITICAL');
    // no dispersion chart: no dispersion lines
    expect(rows[0].ducl).toBeUndefined();
  });

  it('says what a point is: the fraction, the count and the size', () => {
    const rows = toRows(points, 'p');
    expect(pointSummary(rows[1], 'p', 3)).toBe('p = 0.050 (4 in 80 items)');
    const c = toRows([chartPoint(0, { value: 3, count: 3, size: 1, limits: pointLimits(2, 6.24, 0, { floor: 0 }) })], 'c');
    expect(pointSummary(c[0], 'c', 1)).toBe('c = 3.0 (3 in 1 inspection unit)');
  });

  it('keeps the y-range of counts at 0 or above', () => {
    const [lo] = yDomain(toRows(points, 'p'), 'primary', [], true);
    expect(lo).toBe(0);
  });
});

describe('EWMA charts', () => {
  const points = [
    chartPoint(0, { value: 9 }),
    chartPoint(1, { value: 11 }),
    chartPoint(2, { value: 12, statistic: 10.4, limits: pointLimits(10, 10.6, 9.4, { zones: false }) }),
    chartPoint(3, { value: 13, statistic: 10.92, limits: pointLimits(10, 10.77, 9.23, { zones: false }), violations: [rule1] }),
  ];

  it('plots the EWMA against its widening limits, and the raw values before limits existed', () => {
    const rows = toRows(points, 'ewma');
    expect(rows.map((r) => r.y)).toEqual([null, null, 10.4, 10.92]);
    expect(rows.map((r) => r.raw)).toEqual([9, 11, null, null]);
    expect(rows.map((r) => r.ucl)).toEqual([undefined, undefined, 10.6, 10.77]);
    expect(rows[2].cl).toBe(10);
    expect(rows[2].zoneA).toBeUndefined();
    expect(pointSummary(rows[3], 'ewma', 2)).toBe('EWMA = 10.92 (x = 13.00)');
    expect(pointSummary(rows[0], 'ewma', 2)).toBe('x = 9.00, before limits');
  });
});

describe('CUSUM charts', () => {
  const h = pointLimits(0, 5, -5, { zones: false });
  const points = [
    chartPoint(0, { value: 10, statistic: 0, statistic_lower: 0, limits: h }),
    chartPoint(1, { value: 7, statistic: 0, statistic_lower: 2.5, limits: h }),
    chartPoint(2, { value: 6, statistic: 0, statistic_lower: 6, limits: h, violations: [rule1] }),
    chartPoint(3, { value: 18, statistic: 7.5, statistic_lower: 0, limits: h, violations: [rule1] }),
  ];

  it('plots C⁺ up and −C⁻ down against ±H, with the marks on the sum that passed H', () => {
    const rows = toRows(points, 'cusum');
    expect(rows.map((r) => r.y)).toEqual([0, 0, 0, 7.5]);
    expect(rows.map((r) => r.lower)).toEqual([0, -2.5, -6, 0]);
    expect(rows.map((r) => r.signal)).toEqual(['upper', 'upper', 'lower', 'upper']);
    expect(pointSummary(rows[2], 'cusum', 1)).toBe('C⁺ = 0.0 · C⁻ = 6.0 (x = 6.0)');
  });

  it('shows raw values only while no point has sums (they are on another scale)', () => {
    const baseline = [chartPoint(0, { value: 500 }), chartPoint(1, { value: 501 })];
    expect(toRows(baseline, 'cusum').map((r) => r.raw)).toEqual([500, 501]);
    expect(toRows([...baseline, ...points], 'cusum').map((r) => r.raw)).toEqual([null, null, null, null, null, null]);
  });

  it('previews new limits around 0, not around the target', () => {
    const preview = { center_line: 10, ucl: 4, lcl: -4, dispersion_center: null, dispersion_ucl: null, dispersion_lcl: null } as LimitsOut;
    expect(previewLines(preview, 'primary', 'cusum').map((l) => l.y)).toEqual([4, 0, -4]);
    expect(previewLines(preview, 'primary', 'ewma').map((l) => l.y)).toEqual([4, 10, -4]);
  });
});
