import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Characteristic, RuleInfo } from '@/lib/api';
import { json, mockApi, renderWith } from '@/test/utils';
import { CharacteristicForm } from './CharacteristicForm';
import { formErrors, initialValues, toBody, validate, withChartType, type FormValues } from './characteristicValues';
import { ManualLimits, manualLimits } from './ManualLimits';
import { settingsOf, type RuleRow } from './RulesEditor';

const base = (change: Partial<FormValues>): FormValues => ({ ...initialValues(null, 4), name: 'Defects', ...change });

describe('chart type settings', () => {
  it('checks the size as the chart type means it', () => {
    expect(validate(base({ chart_type: 'p', subgroup_size: '0' }), true).subgroup_size).toBe('At least 1');
    expect(validate(base({ chart_type: 'np', subgroup_size: '2000000' }), true).subgroup_size).toBe('From 1 to 1,000,000 items');
    expect(validate(base({ chart_type: 'ewma', subgroup_size: '30' }), true).subgroup_size).toBe('An EWMA chart has subgroups of 1 to 25');
    expect(validate(base({ chart_type: 'c', subgroup_size: '1' }), true)).toEqual({});
  });

  it('checks the EWMA and CUSUM parameters, keyed like the server', () => {
    const ewma = base({ chart_type: 'ewma', subgroup_size: '1', params: { lambda: '1.2', L: '0', k: '0.5', h: '5' } });
    expect(validate(ewma, true)).toEqual({ 'chart_params.lambda': 'At most 1', 'chart_params.L': 'Above 0' });
    const cusum = base({ chart_type: 'cusum', subgroup_size: '1', params: { lambda: '9', L: '9', k: '-1', h: '' } });
    expect(validate(cusum, true)).toEqual({ 'chart_params.k': 'At least 0', 'chart_params.h': 'Required' });
  });

  it('takes only a center line as initial limits of an attribute chart, and ignores spec limits there', () => {
    const p = base({ chart_type: 'p', subgroup_size: '50', usl: 'x', center_line: '1.5' });
    expect(validate(p, true)).toEqual({ center_line: 'p̄ is a fraction between 0 and 1' });
    const body = toBody({ ...p, usl: '3', unit: 'mm', center_line: '0.02' });
    expect(body).toMatchObject({ chart_type: 'p', subgroup_size: 50, chart_params: {}, usl: null, unit: null, limits: { center_line: 0.02 } });
  });

  it('sends the parameters of the chart type, in full', () => {
    const ewma = toBody(base({ chart_type: 'ewma', subgroup_size: '1', params: { lambda: '0,1', L: '2.7', k: '0.5', h: '5' } }));
    expect(ewma.chart_params).toEqual({ lambda: 0.1, L: 2.7 });
    const cusum = toBody(base({ chart_type: 'cusum', subgroup_size: '1', reset_after_signal: true, center_line: '10', sigma: '1' }));
    expect(cusum.chart_params).toEqual({ k: 0.5, h: 5, reset_after_signal: true });
    expect(cusum.limits).toEqual({ center_line: 10, sigma: 1 });
    expect(toBody(base({})).chart_params).toEqual({});
  });

  it('picks a size that fits a newly chosen chart type', () => {
    expect(withChartType(base({}), 'p').subgroup_size).toBe('50');
    expect(withChartType(base({ chart_type: 'p', subgroup_size: '80' }), 'np').subgroup_size).toBe('80');
    expect(withChartType(base({}), 'imr').subgroup_size).toBe('1');
    expect(withChartType(base({ chart_type: 'ewma', subgroup_size: '4' }), 'cusum').subgroup_size).toBe('4');
    expect(withChartType(base({ chart_type: 'u', subgroup_size: '3' }), 'xbar_s').subgroup_size).toBe('5');
  });

  it('puts the errors of initial limits on their fields', () => {
    expect(formErrors({ 'limits.sigma': 'too small', limits: 'no', 'chart_params.h': 'big' })).toEqual({ sigma: 'too small', center_line: 'no', 'chart_params.h': 'big' });
  });
});

describe('characteristic form with the new chart types', () => {
  const hierarchy = () => [{ id: 4, parent_id: null, name: 'Line 1', type: 'line', created_at: '', children: [] }];

  it('explains the chosen chart type and labels the size for it', async () => {
    const user = userEvent.setup();
    mockApi({ 'GET /api/v1/hierarchy': hierarchy });
    renderWith(<CharacteristicForm characteristic={null} nodeId={4} onSaved={() => undefined} />, { user: { username: 'e', role: 'engineer' } });
    await user.selectOptions(screen.getByLabelText('Chart type'), 'p');
    expect(screen.getByTestId('chart-type-explanation')).toHaveTextContent('fraction');
    expect(screen.getByLabelText('Sample size (items)')).toHaveValue('50');
    expect(screen.queryByLabelText('USL (upper spec limit)')).not.toBeInTheDocument();
    expect(screen.getByLabelText('Initial p̄ (optional)')).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('Chart type'), 'c');
    expect(screen.getByLabelText('Inspection units (every sample)')).toHaveValue('1');
  });

  it('shows EWMA parameter errors on their fields, from the form and from the server', async () => {
    const user = userEvent.setup();
    const { calls } = mockApi({
      'GET /api/v1/hierarchy': hierarchy,
      'POST /api/v1/characteristics': () => json(422, { detail: [{ loc: ['body', 'chart_params', 'L'], msg: 'Input should be less than or equal to 10', type: 'value_error' }] }),
    });
    renderWith(<CharacteristicForm characteristic={null} nodeId={4} onSaved={() => undefined} />, { user: { username: 'e', role: 'engineer' } });
    await user.type(screen.getByLabelText('Name'), 'Temperature');
    await user.selectOptions(screen.getByLabelText('Chart type'), 'ewma');
    const lambda = screen.getByLabelText('λ (weight of the newest point)');
    expect(lambda).toHaveValue('0.2');
    await user.clear(lambda);
    await user.type(lambda, '2');
    await user.click(screen.getByRole('button', { name: 'Create characteristic' }));
    expect(screen.getByText('At most 1')).toBeInTheDocument();
    expect(lambda).toHaveAttribute('aria-invalid', 'true');
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    await user.clear(lambda);
    await user.type(lambda, '0.1');
    expect(lambda).not.toHaveAttribute('aria-invalid');
    await user.click(screen.getByRole('button', { name: 'Create characteristic' }));
    expect(await screen.findByText('Input should be less than or equal to 10')).toBeInTheDocument();
    expect(screen.getByLabelText('L (limit width, σ of the EWMA)')).toHaveAttribute('aria-invalid', 'true');
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.body).toMatchObject({ chart_type: 'ewma', subgroup_size: 5, chart_params: { lambda: 0.1, L: 3 } });
  });
});

describe('manual limits', () => {
  it('takes only the center line of an attribute chart, σ and target of EWMA/CUSUM', () => {
    const v = { center: '0,05', mode: 'lines' as const, sigma: '', ucl: '', lcl: '', comment: '' };
    expect(manualLimits('p', v)).toEqual({ body: { center_line: 0.05, comment: null }, errors: {} });
    expect(manualLimits('p', { ...v, center: '2' }).errors).toEqual({ center: 'A fraction between 0 and 1' });
    expect(manualLimits('c', { ...v, center: '0' }).errors).toEqual({ center: 'Above 0' });
    expect(manualLimits('ewma', { ...v, center: '10' }).errors).toEqual({ sigma: 'A number' });
    expect(manualLimits('cusum', { ...v, center: '10', sigma: '0.5' }).body).toEqual({ center_line: 10, sigma: 0.5, comment: null });
    expect(manualLimits('imr', { ...v, center: '10', ucl: '9', lcl: '8' }).errors).toEqual({ ucl: 'UCL must be above the center line' });
  });

  it('asks an attribute chart for its average only', async () => {
    const user = userEvent.setup();
    const { calls } = mockApi({
      'PUT /api/v1/characteristics/8/limits': () => json(422, { detail: [{ loc: ['body'], msg: "Value error, a np chart's limits follow from its center line", type: 'value_error' }] }),
    });
    const c = { id: 8, chart_type: 'np', subgroup_size: 100, decimal_places: 2 } as Characteristic;
    renderWith(<ManualLimits characteristic={c} onSaved={() => undefined} />, { user: { username: 'e', role: 'engineer' } });
    expect(screen.queryByLabelText('Process σ')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Given as')).not.toBeInTheDocument();
    await user.type(screen.getByLabelText('n·p̄ (average number nonconforming per sample)'), '4');
    await user.click(screen.getByRole('button', { name: 'Set limits' }));
    await waitFor(() => expect(calls.find((x) => x.method === 'PUT')?.body).toEqual({ center_line: 4, comment: null }));
    expect(await screen.findByText("a np chart's limits follow from its center line")).toBeInTheDocument();
  });

  it('asks EWMA and CUSUM for the target and σ', () => {
    mockApi({});
    const c = { id: 8, chart_type: 'cusum', subgroup_size: 1, decimal_places: 2 } as Characteristic;
    renderWith(<ManualLimits characteristic={c} onSaved={() => undefined} />, { user: { username: 'e', role: 'engineer' } });
    expect(screen.getByLabelText('Target (center line)')).toBeInTheDocument();
    expect(screen.getByLabelText('Process σ')).toBeInTheDocument();
    expect(screen.queryByLabelText('Given as')).not.toBeInTheDocument();
  });
});

describe('rule defaults per chart type', () => {
  const nelson5 = {
    key: 'nelson.5', rule_id: 5, name: '2 of 3 beyond 2 sigma', description: '', default_severity: 'WARNING',
    applies_to: ['location', 'attribute'], enabled_by_default_on: ['location'], sided: true, tags: [],
    params_schema: {}, defaults: {}, lookback: 3,
  } as RuleInfo;
  const row = (enabled: boolean): RuleRow => ({ chart: 'primary', key: 'nelson.5', info: nelson5, name: nelson5.name, ruleId: 5, enabled, severity: 'WARNING', params: {} });

  it('compares with the default of the chart type (rule 5 is off on attribute charts)', () => {
    expect(settingsOf([row(false)], 'p')).toEqual([]);
    expect(settingsOf([row(true)], 'p')).toEqual([{ rule_key: 'nelson.5', chart: 'primary', enabled: true, severity: null, params: {} }]);
    expect(settingsOf([row(false)], 'xbar_r')).toHaveLength(1);
  });
});
