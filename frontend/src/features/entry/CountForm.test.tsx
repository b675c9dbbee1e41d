import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { json, mockApi, renderWith } from '@/test/utils';
import { validateCount } from './CountForm';
import { EntryModal } from './EntryModal';

const characteristic = (chart_type: string, subgroup_size: number) => ({
  id: 7, hierarchy_id: 1, name: 'Solder joints', description: null, unit: null, decimal_places: 3, chart_type, subgroup_size, chart_params: {},
  usl: null, lsl: null, target: null, source: 'MANUAL', tag: null, sampling_interval_minutes: 60, baseline_subgroups: null,
  created_at: '', updated_at: '', rules: [], current_limits: null,
});

const sample = (count: number, size: number, value: number) => ({
  id: 99, characteristic_id: 7, timestamp: '2026-01-01T00:00:00Z', source: 'MANUAL', batch_number: null, operator_id: 'op', subgroup_size: 50,
  measurements: [], mean: value, value, dispersion: null, z: 7, z_dispersion: null, count, size, statistic: null, statistic_lower: null, limits_id: 1, excluded: false,
});

const beyond = { id: 1, sample_id: 99, characteristic_id: 7, chart: 'primary', rule_id: 1, rule_key: 'nelson.1', rule_name: 'Beyond limits', severity: 'CRITICAL', details: {}, limits_id: 1, created_at: '', acknowledged: false };

function setup(chartType: string, size: number, submit: (body: unknown) => unknown) {
  const api = mockApi({
    'GET /api/v1/characteristics/7': () => characteristic(chartType, size),
    'POST /api/v1/characteristics/7/samples': (call) => submit(call.body),
  });
  renderWith(<EntryModal characteristicId={7} onClose={() => undefined} />);
  return api;
}

describe('validateCount', () => {
  it('takes a whole count, and a size when given', () => {
    expect(validateCount('p', 50, '3', '')).toEqual({ body: { count: 3 }, errors: {} });
    expect(validateCount('u', 2, '3', '1,5')).toEqual({ body: { count: 3, size: 1.5 }, errors: {} });
    expect(validateCount('p', 50, '', '').errors).toEqual({ count: 'Required' });
    expect(validateCount('p', 50, '2.5', '0').errors).toEqual({ count: 'A whole number, 0 or more', size: 'Above 0' });
    expect(validateCount('p', 50, '3', '7.5').errors).toEqual({ size: 'A whole number of items' });
  });

  it('does not count more nonconforming items than were inspected', () => {
    expect(validateCount('p', 50, '60', '').errors).toEqual({ count: 'At most the 50 items inspected' });
    expect(validateCount('p', 50, '60', '80').errors).toEqual({});
    // nonconformities may outnumber the units
    expect(validateCount('c', 1, '60', '').errors).toEqual({});
  });
});

describe('EntryModal for attribute charts', () => {
  it('takes a count and an optional size instead of measurements, and shows what it broke', async () => {
    const user = userEvent.setup();
    const { calls } = setup('p', 50, (body) => ({ sample: sample(20, 80, 0.25), violations: [beyond], body }));
    const count = await screen.findByLabelText('Nonconforming items');
    expect(count).toHaveFocus();
    expect(screen.queryByLabelText(/Measurement/)).not.toBeInTheDocument();
    expect(screen.getByLabelText('Items inspected')).toHaveAttribute('placeholder', '50');
    await user.keyboard('20{Enter}');
    expect(screen.getByLabelText('Items inspected')).toHaveFocus();
    await user.keyboard('80{Enter}');
    const result = await screen.findByTestId('entry-result');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ count: 20, size: 80 });
    expect(result).toHaveTextContent('Sample #99 saved: p = 0.250 (20 in 80 items).');
    expect(screen.getByTestId('entry-violations')).toHaveTextContent('Rule 1: Beyond limits');
    await user.click(screen.getByRole('button', { name: 'Enter another' }));
    await waitFor(() => expect(screen.getByLabelText('Nonconforming items')).toHaveFocus());
    expect(screen.getByLabelText('Nonconforming items')).toHaveValue('');
  });

  it('has no size field where every sample has the same size', async () => {
    const user = userEvent.setup();
    const { calls } = setup('c', 5, () => ({ sample: sample(3, 5, 3), violations: [] }));
    await screen.findByLabelText('Nonconformities');
    expect(screen.queryByLabelText('Inspection units')).not.toBeInTheDocument();
    expect(screen.getByTestId('entry-size-note')).toHaveTextContent('Every sample inspects 5 inspection units.');
    await user.keyboard('3{Enter}');
    expect(await screen.findByTestId('entry-no-violations')).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ count: 3 });
  });

  it("shows the server's 422 on the count or the size", async () => {
    const user = userEvent.setup();
    setup('u', 2, () =>
      json(422, {
        detail: [
          { loc: ['body', 'size'], msg: 'Value error, a u chart has at most 1000 units', type: 'value_error' },
          { loc: ['body', 'timestamp'], msg: 'in the future', type: 'value_error' },
        ],
      }),
    );
    await screen.findByLabelText('Nonconformities');
    await user.keyboard('3{Enter}5000{Enter}');
    const size = screen.getByLabelText('Inspection units');
    await waitFor(() => expect(size).toHaveAttribute('aria-invalid', 'true'));
    expect(size).toHaveAccessibleDescription('a u chart has at most 1000 units');
    expect(size).toHaveFocus();
    expect(screen.getByText('timestamp: in the future')).toBeInTheDocument();
  });
});
