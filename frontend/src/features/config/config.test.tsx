import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { RuleInfo } from '@/lib/api';
import { json, mockApi, renderWith } from '@/test/utils';
import { CharacteristicForm } from './CharacteristicForm';
import { initialValues, toBody, validate } from './characteristicValues';
import { checkParam, paramSpecs, settingsOf, type RuleRow } from './RulesEditor';

const nelson1: RuleInfo = {
  key: 'nelson.1',
  rule_id: 1,
  name: 'Beyond limits',
  description: '',
  default_severity: 'CRITICAL',
  applies_to: ['location', 'dispersion'],
  enabled_by_default_on: ['location', 'dispersion'],
  sided: true,
  tags: [],
  params_schema: { properties: { k: { default: 3, exclusiveMinimum: 0, title: 'K', type: 'number' } } },
  defaults: { k: 3 },
  lookback: 1,
};
const nelson2: RuleInfo = {
  ...nelson1,
  key: 'nelson.2',
  rule_id: 2,
  name: 'Shift',
  default_severity: 'WARNING',
  enabled_by_default_on: ['location'],
  params_schema: { properties: { k: { default: 9, minimum: 1, title: 'K', type: 'integer' } } },
  defaults: { k: 9 },
};

function row(info: RuleInfo, chart: 'primary' | 'dispersion', change: Partial<RuleRow> = {}): RuleRow {
  return {
    chart,
    key: info.key,
    info,
    name: info.name,
    ruleId: info.rule_id,
    enabled: info.enabled_by_default_on.includes(chart === 'primary' ? 'location' : 'dispersion'),
    severity: info.default_severity as 'WARNING' | 'CRITICAL',
    params: { k: String(info.defaults.k) },
    ...change,
  };
}

describe('rule settings', () => {
  it('reads the parameters and their limits from the JSON Schema', () => {
    const [k] = paramSpecs(nelson2);
    expect(k).toMatchObject({ name: 'k', title: 'K', type: 'integer', minimum: 1, default: 9 });
    expect(checkParam(k, '2.5')).toBe('a whole number');
    expect(checkParam(k, '0')).toBe('≥ 1');
    expect(checkParam(paramSpecs(nelson1)[0], '0')).toBe('> 0');
    expect(checkParam(k, '12')).toBeNull();
  });

  it('stores only what differs from the defaults', () => {
    expect(settingsOf([row(nelson1, 'primary'), row(nelson2, 'primary'), row(nelson2, 'dispersion')], 'xbar_r')).toEqual([]);
    expect(
      settingsOf([
        row(nelson1, 'primary', { params: { k: '2' } }),
        row(nelson2, 'primary', { severity: 'CRITICAL' }),
        row(nelson2, 'dispersion', { enabled: true }),
      ], 'xbar_r'),
    ).toEqual([
      { rule_key: 'nelson.1', chart: 'primary', enabled: true, severity: null, params: { k: 2 } },
      { rule_key: 'nelson.2', chart: 'primary', enabled: true, severity: 'CRITICAL', params: {} },
      { rule_key: 'nelson.2', chart: 'dispersion', enabled: true, severity: null, params: {} },
    ]);
  });
});

describe('characteristic form', () => {
  it('checks the configuration before sending it', () => {
    const v = { ...initialValues(null, 4), name: 'Bore', chart_type: 'imr' as const, subgroup_size: '5', usl: '1', lsl: '2', target: '9' };
    expect(validate(v, true)).toMatchObject({ subgroup_size: 'An I-MR chart has subgroups of 1', lsl: 'LSL must be below USL' });
    expect(validate({ ...v, subgroup_size: '1', lsl: '0', usl: '10', source: 'TAG', tag: 'opc://x' }, true)).toEqual({
      tag: 'sparkplug://group/node[/device]/metric or mqtt://topic[#field]',
    });
    expect(validate({ ...v, subgroup_size: '1', lsl: '0', usl: '10', center_line: '5' }, true)).toEqual({ sigma: 'Give σ with the center line' });
  });

  it('builds the request body', () => {
    const body = toBody({ ...initialValues(null, 4), name: ' Bore ', unit: 'mm', usl: '10,2', center_line: '10', sigma: '0.1' });
    expect(body).toMatchObject({ hierarchy_id: 4, name: 'Bore', unit: 'mm', usl: 10.2, lsl: null, chart_type: 'xbar_r', subgroup_size: 5, tag: null, sampling_interval_minutes: 60, limits: { center_line: 10, sigma: 0.1 } });
  });

  it("puts the server's field errors on the fields", async () => {
    const user = userEvent.setup();
    mockApi({
      'GET /api/v1/hierarchy': () => [{ id: 4, parent_id: null, name: 'Line 1', type: 'line', created_at: '', children: [] }],
      'POST /api/v1/characteristics': () => json(422, { detail: [{ loc: ['body', 'tag'], msg: 'Value error, tag is bound already', type: 'value_error' }] }),
    });
    renderWith(<CharacteristicForm characteristic={null} nodeId={4} onSaved={() => undefined} />, { user: { username: 'e', role: 'engineer' } });
    await user.type(screen.getByLabelText('Name'), 'Torque');
    await user.selectOptions(screen.getByLabelText('Source'), 'TAG');
    await user.type(screen.getByLabelText('Tag binding'), 'mqtt://plant/torque');
    await user.click(screen.getByRole('button', { name: 'Create characteristic' }));
    expect(await screen.findByText('tag is bound already')).toBeInTheDocument();
    expect(screen.getByLabelText('Tag binding')).toHaveAttribute('aria-invalid', 'true');
  });
});
