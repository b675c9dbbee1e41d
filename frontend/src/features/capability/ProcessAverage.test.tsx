import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { mockApi, renderWith } from '@/test/utils';
import { CapabilityPanel } from './CapabilityPanel';
import { processAverage } from './ProcessAverage';

describe('process average of attribute charts', () => {
  it('reads the center line as a fraction, a count or a rate', () => {
    expect(processAverage('p', 0.0125, 50)).toEqual([
      { term: 'p̄', value: '0.0125' },
      { term: 'nonconforming', value: '1.25 % · 12,500 ppm' },
    ]);
    expect(processAverage('np', 5, 200)[1].value).toBe('2.50 % · 25,000 ppm');
    expect(processAverage('c', 6, 3)).toEqual([
      { term: 'c̄', value: '6.00 per sample' },
      { term: 'per unit', value: '2.000 (3 units per sample)' },
    ]);
    expect(processAverage('u', 0.42, 2)[0]).toEqual({ term: 'ū', value: '0.420 per unit' });
  });

  it('shows the process average instead of Cp/Cpk, without asking for capability', async () => {
    const { calls } = mockApi({
      'GET /api/v1/characteristics/7': () => ({
        id: 7, chart_type: 'p', subgroup_size: 50, chart_params: {}, usl: null, lsl: null, decimal_places: 3,
        current_limits: { center_line: 0.1, subgroup_size: 50, version: 2, method: 'calculated' },
      }),
    });
    renderWith(<CapabilityPanel characteristicId={7} />);
    expect(await screen.findByTestId('process-average')).toHaveTextContent('10.00 % · 100,000 ppm');
    expect(screen.getByRole('heading', { name: 'Process average' })).toBeInTheDocument();
    expect(screen.queryByTestId('index-Cpk')).not.toBeInTheDocument();
    expect(calls.some((c) => c.path.endsWith('/capability') || c.path.endsWith('/samples'))).toBe(false);
  });
});
