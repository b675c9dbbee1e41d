import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { json, mockApi, renderWith, type Call } from '@/test/utils';
import { AlertsPage, DEFAULT_FILTERS, toQuery } from './AlertsPage';

function violation(id: number, acknowledged = false) {
  return {
    id,
    sample_id: 100 + id,
    characteristic_id: 3,
    chart: 'primary',
    rule_id: 1,
    rule_key: 'nelson.1',
    rule_name: 'Beyond limits',
    severity: 'CRITICAL',
    details: {},
    limits_id: 1,
    created_at: '2026-01-01T08:00:00Z',
    acknowledged,
    characteristic_name: 'Fill weight',
    sample_timestamp: '2026-01-01T08:00:00Z',
    acknowledgment: acknowledged ? { user: 'bob', reason_code: 'TOOL_WEAR', comment: 'changed', created_at: '2026-01-01T09:00:00Z' } : null,
  };
}

function setup(ack: (call: Call) => unknown = (c) => (c.body as { violation_ids: number[] }).violation_ids.map((i) => violation(i, true))) {
  let open = [violation(1), violation(2)];
  const api = mockApi({
    'GET /api/v1/violations': (c) => {
      const items = c.query.get('acknowledged') === 'false' ? open : [...open, violation(9, true)];
      return { items, total: items.length };
    },
    'GET /api/v1/rules': () => [],
    'GET /api/v1/hierarchy': () => [],
    'GET /api/v1/characteristics': () => [],
    'GET /api/v1/reason-codes': () => [
      { id: 1, code: 'TOOL_WEAR', label: 'Tool wear', active: true },
      { id: 2, code: 'MEASUREMENT_ERROR', label: 'Measurement error', active: true },
    ],
    'POST /api/v1/violations/acknowledge': (c) => {
      const out = ack(c);
      if (!(out instanceof Response)) open = open.filter((v) => !(c.body as { violation_ids: number[] }).violation_ids.includes(v.id));
      return out instanceof Response ? out : json(200, out);
    },
    'POST /api/v1/violations/2/acknowledge': (c) => {
      open = open.filter((v) => v.id !== 2);
      return json(200, { ...violation(2, true), acknowledgment: { user: 'op', reason_code: (c.body as { reason_code: string }).reason_code, comment: null, created_at: '' } });
    },
  });
  const onOpenPoint = vi.fn();
  renderWith(<AlertsPage onOpenPoint={onOpenPoint} />);
  return { ...api, onOpenPoint };
}

describe('toQuery', () => {
  it('turns the filters into the API query', () => {
    expect(toQuery(DEFAULT_FILTERS, 25, 50)).toEqual({ limit: 25, offset: 50, acknowledged: false });
    expect(toQuery({ ...DEFAULT_FILTERS, acknowledged: '', severity: 'WARNING', rule: 'nelson.2', scope: 'h:4' }, 10, 0)).toEqual({
      limit: 10,
      offset: 0,
      severity: 'WARNING',
      rule_key: 'nelson.2',
      hierarchy_id: 4,
    });
    expect(toQuery({ ...DEFAULT_FILTERS, scope: 'c:7', acknowledged: 'true' }, 10, 0)).toMatchObject({ characteristic_id: 7, acknowledged: true });
  });
});

describe('AlertsPage', () => {
  it('acknowledges many at once with a reason code and a comment', async () => {
    const user = userEvent.setup();
    const { calls } = setup();
    expect(await screen.findByTestId('violation-1')).toHaveTextContent('Rule 1: Beyond limits');
    expect(screen.getByTestId('ack-selected')).toBeDisabled();
    await user.click(screen.getByLabelText('Select all open violations on this page'));
    expect(screen.getByTestId('ack-selected')).toHaveTextContent('Acknowledge selected (2)');
    await user.click(screen.getByTestId('ack-selected'));
    const dialog = screen.getByRole('dialog', { name: 'Acknowledge 2 violations' });
    // a reason is required
    await user.click(within(dialog).getByTestId('ack-submit'));
    expect(within(dialog).getByText('Pick a reason.')).toBeInTheDocument();
    await user.selectOptions(await within(dialog).findByLabelText('Reason'), 'TOOL_WEAR');
    await user.type(within(dialog).getByLabelText('Comment (optional)'), 'insert replaced');
    await user.click(within(dialog).getByTestId('ack-submit'));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.path).toBe('/api/v1/violations/acknowledge');
    expect(post?.body).toEqual({ reason_code: 'TOOL_WEAR', comment: 'insert replaced', violation_ids: [1, 2] });
    // the open list is fetched again and is empty now
    expect(await screen.findByText('No violations match.')).toBeInTheDocument();
  });

  it('acknowledges one from its row', async () => {
    const user = userEvent.setup();
    const { calls } = setup();
    const row = await screen.findByTestId('violation-2');
    await user.click(within(row).getByRole('button', { name: 'Acknowledge' }));
    const dialog = screen.getByRole('dialog', { name: 'Acknowledge violation' });
    await user.selectOptions(await within(dialog).findByLabelText('Reason'), 'MEASUREMENT_ERROR');
    await user.click(within(dialog).getByTestId('ack-submit'));
    await waitFor(() => expect(screen.queryByTestId('violation-2')).not.toBeInTheDocument());
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ reason_code: 'MEASUREMENT_ERROR', comment: null });
  });

  it("shows the server's refusal and keeps the dialog open", async () => {
    const user = userEvent.setup();
    setup(() => json(409, { detail: { message: 'already acknowledged', violation_ids: [1] } }));
    await user.click(await screen.findByLabelText('Select all open violations on this page'));
    await user.click(screen.getByTestId('ack-selected'));
    const dialog = screen.getByRole('dialog');
    await user.selectOptions(await within(dialog).findByLabelText('Reason'), 'TOOL_WEAR');
    await user.click(within(dialog).getByTestId('ack-submit'));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('already acknowledged');
  });

  it('filters, and clicks through to the point on its chart', async () => {
    const user = userEvent.setup();
    const { calls, onOpenPoint } = setup();
    await screen.findByTestId('violation-1');
    await user.selectOptions(screen.getByLabelText('Status'), '');
    const acked = await screen.findByTestId('violation-9');
    expect(acked).toHaveTextContent('TOOL_WEAR');
    expect(calls.filter((c) => c.path === '/api/v1/violations').at(-1)?.query.get('acknowledged')).toBeNull();
    await user.click(within(acked).getByRole('button', { name: 'Fill weight' }));
    expect(onOpenPoint).toHaveBeenCalledWith(3, 109);
  });
});
