import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChartPanel } from '@/features/charts';
import { RequireRole, roleAtLeast } from '@/lib/roles';
import { mockApi, renderWith } from '@/test/utils';
import { Shell } from './Shell';

const summary = { unacknowledged: 3, total: 5, by_severity: [{ severity: 'CRITICAL', unacknowledged: 1, total: 1 }], by_rule: [], by_characteristic: [] };

describe('roles', () => {
  it('orders operator < engineer < admin', () => {
    expect(roleAtLeast('admin', 'engineer')).toBe(true);
    expect(roleAtLeast('engineer', 'engineer')).toBe(true);
    expect(roleAtLeast('operator', 'engineer')).toBe(false);
    expect(roleAtLeast('stranger', 'operator')).toBe(false);
    expect(roleAtLeast(undefined, 'operator')).toBe(false);
  });

  it('renders role-gated content only for the role', () => {
    const ui = <RequireRole role="engineer" fallback={<p>not for you</p>}><p>secret</p></RequireRole>;
    renderWith(ui, { user: { username: 'o', role: 'operator' } });
    expect(screen.queryByText('secret')).not.toBeInTheDocument();
    expect(screen.getByText('not for you')).toBeInTheDocument();
  });
});

describe('Shell', () => {
  it('shows an operator the dashboard and alerts, not the configuration', async () => {
    mockApi({ 'GET /api/v1/violations/summary': () => summary, 'GET /api/v1/hierarchy': () => [] });
    renderWith(<Shell><p>page</p></Shell>, { user: { username: 'olga', role: 'operator' } });
    expect(screen.getByRole('link', { name: 'Dashboard' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Alerts/ })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Configuration' })).not.toBeInTheDocument();
    expect(screen.getByTestId('current-user')).toHaveTextContent('olga');
    // the unacknowledged count, red while a critical one is open
    expect(await screen.findByLabelText('3 unacknowledged')).toHaveClass('severity-critical');
  });

  it('shows an engineer the configuration', () => {
    mockApi({ 'GET /api/v1/violations/summary': () => summary, 'GET /api/v1/hierarchy': () => [] });
    renderWith(<Shell><p>page</p></Shell>, { user: { username: 'eve', role: 'engineer' } });
    expect(screen.getByRole('link', { name: 'Configuration' })).toBeInTheDocument();
  });

  it('says when the live connection is down', () => {
    mockApi({ 'GET /api/v1/violations/summary': () => summary, 'GET /api/v1/hierarchy': () => [] });
    renderWith(<Shell><p>page</p></Shell>);
    // no LiveProvider with a socket: offline, polling
    expect(screen.getByTestId('live-indicator')).toHaveTextContent(/Offline: updating every 5 s/);
  });
});

describe('exclusion from the chart', () => {
  const chart = {
    characteristic: { id: 3, hierarchy_id: 1, name: 'Fill weight', description: null, unit: 'g', decimal_places: 1, chart_type: 'imr', subgroup_size: 1, usl: null, lsl: null, target: null, source: 'MANUAL', tag: null, sampling_interval_minutes: 30, baseline_subgroups: null, created_at: '', updated_at: '' },
    chart_type: 'imr',
    points: [0, 1, 2].map((i) => ({ sample_id: 10 + i, timestamp: `2026-01-01T08:0${i}:00Z`, value: 500 + i, dispersion: i ? 1 : null, subgroup_size: 1, excluded: false, limits: null, violations: [] })),
    spec: { usl: null, lsl: null, target: null },
    current_limits: null,
  };

  // jsdom has no layout: give the chart's container a width
  beforeEach(() => {
    Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 900 });
  });
  afterEach(() => {
    delete (HTMLElement.prototype as { clientWidth?: number }).clientWidth;
  });

  for (const [role, offered] of [['operator', false], ['engineer', true]] as const) {
    it(`is ${offered ? '' : 'not '}offered to an ${role}`, async () => {
      const user = userEvent.setup();
      mockApi({ 'GET /api/v1/characteristics/3/chart': () => chart });
      renderWith(<ChartPanel characteristicId={3} />, { user: { username: 'u', role } });
      const marks = await screen.findAllByTestId('point-primary');
      await user.click(marks[1]);
      expect(screen.getByTestId('point-details')).toHaveTextContent('Sample #11');
      expect(screen.queryByRole('button', { name: 'Exclude sample…' }) !== null).toBe(offered);
    });
  }
});
