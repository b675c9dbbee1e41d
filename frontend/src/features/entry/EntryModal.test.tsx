import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { json, mockApi, renderWith } from '@/test/utils';
import { EntryModal, savedSummary, validateMeasurements } from './EntryModal';

const characteristic = {
  id: 7,
  hierarchy_id: 1,
  name: 'Bore diameter',
  description: null,
  unit: 'mm',
  decimal_places: 2,
  chart_type: 'xbar_r',
  subgroup_size: 3,
  usl: null,
  lsl: null,
  target: null,
  source: 'MANUAL',
  tag: null,
  sampling_interval_minutes: 60,
  baseline_subgroups: null,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  rules: [],
  current_limits: null,
};

const sample = {
  id: 99,
  characteristic_id: 7,
  timestamp: '2026-01-01T00:00:00Z',
  source: 'MANUAL',
  batch_number: null,
  operator_id: 'op',
  subgroup_size: 3,
  measurements: [10.1, 10.2, 10.3],
  mean: 10.2,
  value: 10.2,
  dispersion: 0.2,
  z: 4.1,
  z_dispersion: 0.1,
  limits_id: 1,
  excluded: false,
};

function setup(submit: (body: unknown) => unknown) {
  const api = mockApi({
    'GET /api/v1/characteristics/7': () => characteristic,
    'POST /api/v1/characteristics/7/samples': (call) => submit(call.body),
  });
  const onClose = vi.fn();
  renderWith(<EntryModal characteristicId={7} onClose={onClose} />);
  return { ...api, onClose };
}

describe('validateMeasurements', () => {
  it('accepts numbers (a decimal comma too) and names the bad fields', () => {
    expect(validateMeasurements(['1.5', '2,5', '-3e-2'])).toEqual({ numbers: [1.5, 2.5, -0.03], errors: {} });
    expect(validateMeasurements(['', 'abc', '1.2.3', ' 4 ']).errors).toEqual({ 0: 'Required', 1: 'Not a number', 2: 'Not a number' });
  });
});

describe('savedSummary', () => {
  it('names the statistic of an EWMA or a CUSUM next to the value', () => {
    const c = { ...characteristic, chart_type: 'cusum', subgroup_size: 1 } as never;
    expect(savedSummary({ ...sample, subgroup_size: 1, value: 12, statistic: 1.5, statistic_lower: 0 }, c)).toEqual({ name: 'value', value: '12.00', more: ' mm; C⁺ = 1.50, C⁻ = 0.00' });
    const e = { ...characteristic, chart_type: 'ewma' } as never;
    expect(savedSummary({ ...sample, statistic: 10.12 }, e).more).toBe(' mm; EWMA = 10.12');
    expect(savedSummary({ ...sample, statistic: null }, e)).toEqual({ name: 'mean', value: '10.20', more: ' mm' });
  });
});

describe('EntryModal', () => {
  it('has one field per measurement with the unit and decimal places', async () => {
    setup(() => ({ sample, violations: [] }));
    expect(await screen.findByLabelText('Measurement 1 (mm)')).toHaveFocus();
    expect(screen.getByLabelText('Measurement 3 (mm)')).toHaveAttribute('placeholder', '0.00');
    expect(screen.queryByLabelText('Measurement 4 (mm)')).not.toBeInTheDocument();
    expect(screen.getByText(/3 measurements in mm, 2 decimal places/)).toBeInTheDocument();
  });

  it('moves on with Enter and submits from the last field', async () => {
    const user = userEvent.setup();
    const { calls } = setup(() => ({ sample, violations: [] }));
    await screen.findByLabelText('Measurement 1 (mm)');
    await user.keyboard('10.1{Enter}');
    expect(screen.getByLabelText('Measurement 2 (mm)')).toHaveFocus();
    await user.keyboard('10,2{Enter}');
    expect(screen.getByLabelText('Measurement 3 (mm)')).toHaveFocus();
    await user.keyboard('10.3{Enter}');
    expect(await screen.findByTestId('entry-no-violations')).toBeInTheDocument();
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.body).toEqual({ measurements: [10.1, 10.2, 10.3] });
  });

  it('validates before sending: nothing goes out while a field is empty or not a number', async () => {
    const user = userEvent.setup();
    const { calls } = setup(() => ({ sample, violations: [] }));
    await screen.findByLabelText('Measurement 1 (mm)');
    await user.keyboard('abc{Enter}{Enter}{Enter}');
    expect(screen.getByText('Not a number')).toBeInTheDocument();
    expect(screen.getAllByText('Required')).toHaveLength(2);
    expect(screen.getByLabelText('Measurement 1 (mm)')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Measurement 1 (mm)')).toHaveFocus();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    // fixing a field clears its error
    await user.clear(screen.getByLabelText('Measurement 1 (mm)'));
    await user.type(screen.getByLabelText('Measurement 1 (mm)'), '10');
    expect(screen.queryByText('Not a number')).not.toBeInTheDocument();
  });

  it("shows the server's 422 on the field it names", async () => {
    const user = userEvent.setup();
    setup(() =>
      json(422, { detail: [{ loc: ['body', 'measurements', 1], msg: 'Input should be a finite number', type: 'finite_number' }] }),
    );
    await screen.findByLabelText('Measurement 1 (mm)');
    await user.keyboard('1{Enter}2{Enter}3{Enter}');
    const field = screen.getByLabelText('Measurement 2 (mm)');
    await waitFor(() => expect(field).toHaveAttribute('aria-invalid', 'true'));
    expect(field).toHaveAccessibleDescription('Input should be a finite number');
    expect(field).toHaveFocus();
  });

  it('shows the violations the new sample caused', async () => {
    const user = userEvent.setup();
    setup(() => ({
      sample,
      violations: [
        { id: 1, sample_id: 99, characteristic_id: 7, chart: 'primary', rule_id: 1, rule_key: 'nelson.1', rule_name: 'Beyond limits', severity: 'CRITICAL', details: {}, limits_id: 1, created_at: '', acknowledged: false },
        { id: 2, sample_id: 99, characteristic_id: 7, chart: 'primary', rule_id: 5, rule_key: 'nelson.5', rule_name: '2 of 3 beyond 2 sigma', severity: 'WARNING', details: {}, limits_id: 1, created_at: '', acknowledged: false },
      ],
    }));
    await screen.findByLabelText('Measurement 1 (mm)');
    await user.keyboard('10.1{Enter}10.2{Enter}10.3{Enter}');
    const result = await screen.findByTestId('entry-violations');
    expect(result).toHaveTextContent('This sample broke 2 rules');
    expect(result).toHaveTextContent('Rule 1: Beyond limits');
    expect(result).toHaveTextContent('CRITICAL');
    expect(result).toHaveTextContent('Rule 5: 2 of 3 beyond 2 sigma');
    expect(screen.getByText(/Sample #99 saved/)).toBeInTheDocument();
    // and straight on to the next one
    await user.click(screen.getByRole('button', { name: 'Enter another' }));
    await waitFor(() => expect(screen.getByLabelText('Measurement 1 (mm)')).toHaveFocus());
    expect(screen.getByLabelText('Measurement 1 (mm)')).toHaveValue('');
  });

  it('shows a conflict (same timestamp) for the form', async () => {
    const user = userEvent.setup();
    setup(() => json(409, { detail: 'a sample with this timestamp is already stored' }));
    await screen.findByLabelText('Measurement 1 (mm)');
    await user.keyboard('1{Enter}2{Enter}3{Enter}');
    expect(await screen.findByText('a sample with this timestamp is already stored')).toBeInTheDocument();
  });
});
