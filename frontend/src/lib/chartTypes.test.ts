import { describe, expect, it } from 'vitest';
import type { LimitsOut } from './api';
import { CHART_PARAMS, chartSummary, chartsOf, checkChartParam, limitItems, lineNames, ruleFamily } from './chartTypes';

const limits = (change: Partial<LimitsOut>): LimitsOut => ({
  id: 1,
  characteristic_id: 1,
  version: 2,
  center_line: 0.1,
  sigma: 0.3,
  ucl: 0.227,
  lcl: 0,
  subgroup_size: 50,
  dispersion_center: null,
  dispersion_ucl: null,
  dispersion_lcl: null,
  method: 'manual',
  from_sample_id: null,
  to_sample_id: null,
  sample_count: null,
  created_by: 'e',
  comment: null,
  created_at: null,
  ...change,
});

describe('chart types', () => {
  it('draws a dispersion chart only for variables charts', () => {
    expect(chartsOf('xbar_s')).toEqual(['primary', 'dispersion']);
    for (const t of ['p', 'np', 'c', 'u', 'ewma', 'cusum']) expect(chartsOf(t)).toEqual(['primary']);
  });

  it('names the rule family of each chart as the server does', () => {
    expect(ruleFamily('imr', 'primary')).toBe('location');
    expect(ruleFamily('imr', 'dispersion')).toBe('dispersion');
    expect(ruleFamily('u', 'primary')).toBe('attribute');
    expect(ruleFamily('cusum', 'primary')).toBe('time_weighted');
  });

  it('checks the EWMA and CUSUM parameters against their ranges', () => {
    const [lambda, L] = CHART_PARAMS.ewma!;
    const [k, h] = CHART_PARAMS.cusum!;
    expect(checkChartParam(lambda, '0')).toBe('Above 0');
    expect(checkChartParam(lambda, '1.5')).toBe('At most 1');
    expect(checkChartParam(lambda, '0,1')).toBeNull();
    expect(checkChartParam(L, '')).toBe('Required');
    expect(checkChartParam(k, '0')).toBeNull();
    expect(checkChartParam(k, '-1')).toBe('At least 0');
    expect(checkChartParam(h, 'x')).toBe('Not a number');
  });

  it('describes a chart in a line', () => {
    expect(chartSummary({ chart_type: 'p', subgroup_size: 50, chart_params: {} })).toBe('p chart · n = 50 items (default)');
    expect(chartSummary({ chart_type: 'c', subgroup_size: 1, chart_params: {} })).toBe('c chart · n = 1 inspection unit');
    expect(chartSummary({ chart_type: 'ewma', subgroup_size: 1, chart_params: { lambda: 0.1, L: 2.7 } })).toBe('EWMA · λ = 0.1 · L = 2.7 · n = 1');
    expect(chartSummary({ chart_type: 'cusum', subgroup_size: 4, chart_params: {} })).toBe('CUSUM · k = 0.5 · h = 5 · n = 4');
    expect(chartSummary({ chart_type: 'xbar_r', subgroup_size: 5, chart_params: {} })).toBe('X̄–R · n = 5');
  });

  it('names the limits in the terms of the chart', () => {
    expect(lineNames('cusum')).toEqual({ ucl: '+H', center: 'target', lcl: '−H', sigma: true });
    const p = limitItems('p', limits({}), 3);
    expect(p.map((i) => `${i.term} ${i.value}`)).toEqual(['UCL 0.227', 'p̄ 0.100', 'LCL 0.000']);
    expect(p[0].title).toMatch(/follow its sample size/);
    expect(limitItems('np', limits({ center_line: 5, ucl: 11.4, lcl: 0 }), 2).map((i) => i.term)).toEqual(['UCL', 'n·p̄', 'LCL']);
    const cusum = limitItems('cusum', limits({ center_line: 10, sigma: 1, ucl: 5, lcl: -5 }), 1);
    expect(cusum.map((i) => `${i.term} ${i.value}`)).toEqual(['+H 5.0', 'target 10.0', '−H -5.0', 'σ 1.00']);
  });
});
