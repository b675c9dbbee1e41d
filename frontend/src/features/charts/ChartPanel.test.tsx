import { screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChartData, ChartPoint, LimitsOut } from '@/lib/api';
import { chartPoint, pointLimits, rule1 } from '@/test/chartPoints';
import { mockApi, renderWith } from '@/test/utils';
import { ChartPanel } from './ChartPanel';

function chartData(chartType: ChartData['chart_type'], points: ChartPoint[], limits: Partial<LimitsOut> | null, size = 1, params = {}): ChartData {
  return {
    characteristic: {
      id: 5, hierarchy_id: 1, name: 'Thing', description: null, unit: 'mm', decimal_places: 2, chart_type: chartType, subgroup_size: size,
      chart_params: params, usl: 12, lsl: 8, target: null, source: 'MANUAL', tag: null, sampling_interval_minutes: 60, baseline_subgroups: null,
      created_at: '', updated_at: '',
    },
    chart_type: chartType,
    points,
    spec: { usl: 12, lsl: 8, target: null },
    current_limits: limits && ({
      id: 1, characteristic_id: 5, version: 1, center_line: 0, sigma: 1, ucl: 1, lcl: 0, subgroup_size: size, dispersion_center: null, dispersion_ucl: null,
      dispersion_lcl: null, method: 'manual', from_sample_id: null, to_sample_id: null, sample_count: null, created_by: 'e', comment: null, created_at: null,
      ...limits,
    } as LimitsOut),
  };
}

function show(data: ChartData) {
  mockApi({ 'GET /api/v1/characteristics/5/chart': () => data });
  renderWith(<ChartPanel characteristicId={5} />);
}

describe('ChartPanel for the new chart types', () => {
  // jsdom has no layout: give the chart's container a width
  beforeEach(() => {
    Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 900 });
  });
  afterEach(() => {
    delete (HTMLElement.prototype as { clientWidth?: number }).clientWidth;
  });

  it('draws a p chart alone, with p̄ and the point beyond its UCL marked', async () => {
    show(
      chartData(
        'p',
        [
          chartPoint(0, { value: 0.1, count: 5, size: 50, subgroup_size: 50, limits: pointLimits(0.1, 0.227, 0) }),
          chartPoint(1, { value: 0.05, count: 4, size: 80, subgroup_size: 50, limits: pointLimits(0.1, 0.201, 0) }),
          chartPoint(2, { value: 0.4, count: 20, size: 50, subgroup_size: 50, limits: pointLimits(0.1, 0.227, 0), violations: [rule1] }),
        ],
        { center_line: 0.1, ucl: 0.227, lcl: 0, subgroup_size: 50 },
        50,
      ),
    );
    const marks = await screen.findAllByTestId('point-primary');
    expect(marks).toHaveLength(3);
    expect(marks[2]).toHaveAttribute('data-severity', 'CRITICAL');
    expect(screen.queryByTestId('chart-dispersion')).not.toBeInTheDocument();
    expect(screen.getByText('p chart · n = 50 items (default) · manual entry')).toBeInTheDocument();
    expect(within(screen.getByTestId('limits-strip')).getByText('p̄')).toBeInTheDocument();
    expect(screen.getByTestId('current-cl')).toHaveTextContent('0.10');
    // counts have no spec limits and no unit
    expect(screen.queryByText('USL')).not.toBeInTheDocument();
    expect(screen.getByTestId('chart-legend')).toHaveTextContent('zones');
  });

  it('draws an EWMA with its statistic, and the raw values from before its limits in grey', async () => {
    show(
      chartData(
        'ewma',
        [
          chartPoint(0, { value: 9 }),
          chartPoint(1, { value: 11 }),
          chartPoint(2, { value: 12, statistic: 10.4, limits: pointLimits(10, 10.6, 9.4, { zones: false }) }),
          chartPoint(3, { value: 13, statistic: 10.92, limits: pointLimits(10, 10.77, 9.23, { zones: false }), violations: [rule1] }),
        ],
        { center_line: 10, ucl: 11, lcl: 9 },
        1,
        { lambda: 0.2, L: 3 },
      ),
    );
    const marks = await screen.findAllByTestId('point-primary');
    expect(marks.map((m) => m.getAttribute('data-series'))).toEqual(['raw', 'raw', 'main', 'main']);
    expect(marks[3]).toHaveAttribute('data-severity', 'CRITICAL');
    expect(screen.getByText(/EWMA · λ = 0.2 · L = 3 · n = 1/)).toBeInTheDocument();
    expect(within(screen.getByTestId('limits-strip')).getByText('target')).toBeInTheDocument();
    expect(screen.getByTestId('chart-legend')).toHaveTextContent('values before limits');
    expect(screen.getByTestId('chart-legend')).not.toHaveTextContent('zones');
    expect(screen.queryByTestId('chart-dispersion')).not.toBeInTheDocument();
  });

  it('draws both CUSUM sums and marks the lower one when it passed −H', async () => {
    const h = pointLimits(0, 5, -5, { zones: false });
    show(
      chartData(
        'cusum',
        [
          chartPoint(0, { value: 10, statistic: 0, statistic_lower: 0, limits: h }),
          chartPoint(1, { value: 6, statistic: 0, statistic_lower: 6, limits: h, violations: [rule1] }),
        ],
        { center_line: 10, ucl: 5, lcl: -5 },
      ),
    );
    const upper = await screen.findAllByTestId('point-primary');
    const lower = screen.getAllByTestId('point-primary-lower');
    expect(upper).toHaveLength(2);
    expect(lower).toHaveLength(2);
    expect(upper[1]).toHaveAttribute('data-severity', 'none');
    expect(lower[1]).toHaveAttribute('data-severity', 'CRITICAL');
    expect(within(screen.getByTestId('limits-strip')).getByText('+H')).toBeInTheDocument();
    expect(screen.getByTestId('chart-legend')).toHaveTextContent('−C⁻');
  });
});
