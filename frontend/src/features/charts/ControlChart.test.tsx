import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ChartPoint } from '@/lib/api';
import { chartPoint } from '@/test/chartPoints';
import { renderWith } from '@/test/utils';
import { limitChanges, toRows, yDomain } from './chartModel';
import { ControlChart } from './ControlChart';

function limits(id: number, center: number, sigma: number) {
  return {
    id,
    center_line: center,
    ucl: center + 3 * sigma,
    lcl: center - 3 * sigma,
    sigma_point: sigma,
    zones: { '+1': center + sigma, '+2': center + 2 * sigma, '-1': center - sigma, '-2': center - 2 * sigma },
    dispersion_center: sigma,
    dispersion_ucl: 3.27 * sigma,
    dispersion_lcl: 0,
  };
}

function point(i: number, value: number, extra: Partial<ChartPoint> = {}): ChartPoint {
  return chartPoint(i, { value, dispersion: i === 0 ? null : 0.5, limits: limits(1, 10, 1), ...extra });
}

const points: ChartPoint[] = [
  point(0, 10),
  point(1, 10.5),
  point(2, 14, {
    violations: [{ id: 1, rule_key: 'nelson.1', rule_id: 1, rule_name: 'Beyond limits', severity: 'CRITICAL', chart: 'primary', acknowledged: false }],
  }),
  point(3, 12.2, {
    violations: [{ id: 2, rule_key: 'nelson.5', rule_id: 5, rule_name: '2 of 3 beyond 2 sigma', severity: 'WARNING', chart: 'primary', acknowledged: true }],
  }),
  point(4, 9.2, { excluded: true }),
  point(5, 11, {
    limits: limits(2, 11, 0.5),
    violations: [{ id: 3, rule_key: 'nelson.1', rule_id: 1, rule_name: 'Beyond limits', severity: 'CRITICAL', chart: 'dispersion', acknowledged: false }],
  }),
];

describe('chart model', () => {
  it('keeps the limits in force at each point, so a new version is a step', () => {
    const rows = toRows(points);
    expect(rows.map((r) => r.ucl)).toEqual([13, 13, 13, 13, 13, 12.5]);
    expect(rows[0].zoneB).toEqual([8, 12]);
    expect(limitChanges(rows)).toEqual([5]);
  });

  it('splits violations by chart and takes the worst severity', () => {
    const rows = toRows(points);
    expect(rows[2].severity).toEqual({ primary: 'CRITICAL', dispersion: null });
    expect(rows[5].severity).toEqual({ primary: null, dispersion: 'CRITICAL' });
  });

  it('shows every line and the spec limits in the y-range', () => {
    const [lo, hi] = yDomain(toRows(points), 'primary', [20]);
    expect(lo).toBeLessThan(7);
    expect(hi).toBeGreaterThan(20);
  });
});

describe('ControlChart', () => {
  const rows = toRows(points);
  const draw = (kind: 'primary' | 'dispersion') =>
    renderWith(<ControlChart rows={rows} kind={kind} label={kind === 'primary' ? 'I' : 'MR'} decimals={2} width={800} height={300} spec={{ usl: 15, lsl: 5 }} />);

  it('marks the points that broke a rule by severity, with the rule in the tooltip', () => {
    draw('primary');
    const marks = screen.getAllByTestId('point-primary');
    expect(marks).toHaveLength(6);
    const bySample = (id: number) => marks.find((m) => m.getAttribute('data-sample-id') === String(id))!;
    expect(bySample(100)).toHaveAttribute('data-severity', 'none');
    expect(bySample(102)).toHaveAttribute('data-severity', 'CRITICAL');
    expect(bySample(102)).toHaveAttribute('data-rules', 'nelson.1');
    expect(bySample(102).querySelector('title')?.textContent).toContain('Rule 1: Beyond limits (critical)');
    expect(bySample(103)).toHaveAttribute('data-severity', 'WARNING');
    expect(bySample(103).querySelector('title')?.textContent).toContain('Rule 5: 2 of 3 beyond 2 sigma (warning), acknowledged');
    // an open violation is drawn fully, an acknowledged one quieter
    expect(bySample(102)).toHaveAttribute('data-unacknowledged', '1');
    expect(bySample(103)).toHaveAttribute('data-unacknowledged', '0');
    // the dispersion chart's violation is not on the primary chart
    expect(bySample(105)).toHaveAttribute('data-severity', 'none');
  });

  it('draws excluded points hollow', () => {
    draw('primary');
    const excluded = screen.getAllByTestId('point-primary').find((m) => m.getAttribute('data-sample-id') === '104')!;
    expect(excluded).toHaveAttribute('data-excluded', 'true');
    const circle = excluded.querySelector('circle')!;
    expect(circle).toHaveAttribute('fill', '#fff');
  });

  it('draws the spec limits and labels them', () => {
    const { container } = draw('primary');
    expect(within(container).getByText('USL')).toBeInTheDocument();
    expect(within(container).getByText('LSL')).toBeInTheDocument();
  });

  it("marks the dispersion chart's own violations there", () => {
    draw('dispersion');
    const marks = screen.getAllByTestId('point-dispersion');
    // the first moving range does not exist
    expect(marks).toHaveLength(5);
    const last = marks.find((m) => m.getAttribute('data-sample-id') === '105')!;
    expect(last).toHaveAttribute('data-severity', 'CRITICAL');
  });
});
