// The violations list: filters, paging, unacknowledged first; acknowledge one or many; click
// through to the point on its chart. Live events refresh it (see lib/live).
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, unwrap, type HierarchyTree, type ListViolationsData, type Violation } from '@/lib/api';
import { fmtTime } from '@/lib/format';
import { usePollInterval } from '@/lib/live';
import { keys } from '@/lib/queryKeys';
import { Empty, ErrorText, SeverityBadge } from '@/lib/ui';
import { AckDialog } from './AckDialog';

const PAGE_SIZES = [25, 50, 100];

export interface AlertFilters {
  severity: '' | 'WARNING' | 'CRITICAL';
  rule: string;
  scope: string; // '' | 'c:ID' | 'h:ID'
  acknowledged: '' | 'true' | 'false';
  from: string; // datetime-local
  to: string;
}

export const DEFAULT_FILTERS: AlertFilters = { severity: '', rule: '', scope: '', acknowledged: 'false', from: '', to: '' };

export function toQuery(f: AlertFilters, limit: number, offset: number): NonNullable<ListViolationsData['query']> {
  const q: NonNullable<ListViolationsData['query']> = { limit, offset };
  if (f.severity) q.severity = f.severity;
  if (f.rule) q.rule_key = f.rule;
  if (f.scope.startsWith('c:')) q.characteristic_id = Number(f.scope.slice(2));
  if (f.scope.startsWith('h:')) q.hierarchy_id = Number(f.scope.slice(2));
  if (f.acknowledged) q.acknowledged = f.acknowledged === 'true';
  if (f.from) q.from = new Date(f.from).toISOString();
  if (f.to) q.to = new Date(f.to).toISOString();
  return q;
}

function flatten(nodes: HierarchyTree[], depth = 0): { id: number; label: string }[] {
  return nodes.flatMap((n) => [{ id: n.id, label: `${'\u00a0\u00a0'.repeat(depth)}${n.name}` }, ...flatten(n.children ?? [], depth + 1)]);
}

function AckCell({ v }: { v: Violation }) {
  const a = v.acknowledgment;
  if (!a) return <span className="severity-text-critical">open</span>;
  return (
    <span title={a.comment ?? undefined}>
      {a.reason_code} · {a.user} · {fmtTime(a.created_at)}
      {a.comment ? ` · “${a.comment}”` : ''}
    </span>
  );
}

export function AlertsPage({ onOpenPoint }: { onOpenPoint: (characteristicId: number, sampleId: number) => void }) {
  const [filters, setFilters] = useState<AlertFilters>(DEFAULT_FILTERS);
  const [limit, setLimit] = useState(25);
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [acking, setAcking] = useState<number[] | null>(null);
  const poll = usePollInterval();

  const rules = useQuery({ queryKey: keys.rules, queryFn: () => unwrap(api.listRules()) });
  const hierarchy = useQuery({ queryKey: keys.hierarchy, queryFn: () => unwrap(api.getHierarchy()) });
  const characteristics = useQuery({ queryKey: keys.characteristics, queryFn: () => unwrap(api.listCharacteristics()) });
  const query = toQuery(filters, limit, offset);
  const list = useQuery({
    queryKey: [...keys.violations, query],
    queryFn: () => unwrap(api.listViolations({ query })),
    refetchInterval: poll,
    placeholderData: (prev) => prev,
  });
  const items = useMemo(() => list.data?.items ?? [], [list.data]);
  const total = list.data?.total ?? 0;
  const openOnPage = items.filter((v) => !v.acknowledged).map((v) => v.id);
  // Only what is still open and on this page can be selected.
  const chosen = [...selected].filter((id) => openOnPage.includes(id));
  const nodes = useMemo(() => flatten(hierarchy.data ?? []), [hierarchy.data]);

  const set = <K extends keyof AlertFilters>(k: K, v: AlertFilters[K]) => {
    setFilters((f) => ({ ...f, [k]: v }));
    setOffset(0);
    setSelected(new Set());
  };
  const toggle = (id: number) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allChosen = openOnPage.length > 0 && chosen.length === openOnPage.length;

  return (
    <div className="page alerts-page">
      <section className="panel" aria-label="Filters">
        <div className="panel-title">
          <h2>Alerts</h2>
          <span className="muted" data-testid="alerts-total">
            {total} violation{total === 1 ? '' : 's'}
          </span>
        </div>
        <div className="filters">
          <div className="field">
            <label htmlFor="f-ack">Status</label>
            <select id="f-ack" value={filters.acknowledged} onChange={(e) => set('acknowledged', e.target.value as AlertFilters['acknowledged'])}>
              <option value="false">Open</option>
              <option value="true">Acknowledged</option>
              <option value="">All</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-severity">Severity</label>
            <select id="f-severity" value={filters.severity} onChange={(e) => set('severity', e.target.value as AlertFilters['severity'])}>
              <option value="">All</option>
              <option value="CRITICAL">Critical</option>
              <option value="WARNING">Warning</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-rule">Rule</label>
            <select id="f-rule" value={filters.rule} onChange={(e) => set('rule', e.target.value)}>
              <option value="">All rules</option>
              {(rules.data ?? []).map((r) => (
                <option key={r.key} value={r.key}>
                  {r.rule_id ? `${r.rule_id}. ` : ''}
                  {r.name} ({r.key})
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-scope">Where</label>
            <select id="f-scope" value={filters.scope} onChange={(e) => set('scope', e.target.value)}>
              <option value="">Whole plant</option>
              <optgroup label="Plant (with everything below)">
                {nodes.map((n) => (
                  <option key={`h${n.id}`} value={`h:${n.id}`}>
                    {n.label}
                  </option>
                ))}
              </optgroup>
              <optgroup label="Characteristic">
                {(characteristics.data ?? []).map((c) => (
                  <option key={`c${c.id}`} value={`c:${c.id}`}>
                    {c.name}
                  </option>
                ))}
              </optgroup>
            </select>
          </div>
          <div className="field">
            <label htmlFor="f-from">From</label>
            <input id="f-from" type="datetime-local" value={filters.from} onChange={(e) => set('from', e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="f-to">To</label>
            <input id="f-to" type="datetime-local" value={filters.to} onChange={(e) => set('to', e.target.value)} />
          </div>
          <button type="button" onClick={() => { setFilters(DEFAULT_FILTERS); setOffset(0); }}>
            Reset
          </button>
        </div>
      </section>
      <section className="panel" aria-label="Violations">
        <div className="toolbar">
          <button type="button" className="primary" disabled={!chosen.length} onClick={() => setAcking(chosen)} data-testid="ack-selected">
            Acknowledge selected{chosen.length ? ` (${chosen.length})` : ''}
          </button>
          <span className="spacer" />
          <ErrorText error={list.error} />
        </div>
        {items.length === 0 && !list.isLoading ? (
          <Empty>No violations match.</Empty>
        ) : (
          <table className="data" data-testid="violations-table">
            <thead>
              <tr>
                <th>
                  <input
                    type="checkbox"
                    aria-label="Select all open violations on this page"
                    checked={allChosen}
                    disabled={!openOnPage.length}
                    onChange={() => setSelected(allChosen ? new Set() : new Set(openOnPage))}
                  />
                </th>
                <th>Sample time</th>
                <th>Characteristic</th>
                <th>Rule</th>
                <th>Chart</th>
                <th>Severity</th>
                <th>Acknowledgment</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((v) => (
                <tr
                  key={v.id}
                  className={`${v.acknowledged ? 'acked' : 'unacked'} ${v.severity === 'CRITICAL' ? 'critical' : 'warning'}${selected.has(v.id) ? ' selected' : ''}`}
                  data-testid={`violation-${v.id}`}
                  data-acknowledged={v.acknowledged ? 'true' : 'false'}
                >
                  <td>
                    {!v.acknowledged && (
                      <input type="checkbox" aria-label={`Select violation ${v.id}`} checked={selected.has(v.id)} onChange={() => toggle(v.id)} />
                    )}
                  </td>
                  <td>
                    <button type="button" className="link" onClick={() => onOpenPoint(v.characteristic_id, v.sample_id)} title="Show on the chart">
                      {fmtTime(v.sample_timestamp)}
                    </button>
                  </td>
                  <td>
                    <button type="button" className="link" onClick={() => onOpenPoint(v.characteristic_id, v.sample_id)}>
                      {v.characteristic_name}
                    </button>
                  </td>
                  <td>
                    {v.rule_id ? `Rule ${v.rule_id}: ` : ''}
                    {v.rule_name}
                  </td>
                  <td>{v.chart}</td>
                  <td>
                    <SeverityBadge severity={v.severity} />
                  </td>
                  <td>
                    <AckCell v={v} />
                  </td>
                  <td>
                    {!v.acknowledged && (
                      <button type="button" className="small" onClick={() => setAcking([v.id])}>
                        Acknowledge
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div className="pager">
          <label className="inline-label">
            Per page{' '}
            <select value={limit} onChange={(e) => { setLimit(Number(e.target.value)); setOffset(0); }}>
              {PAGE_SIZES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </label>
          <span className="muted">
            {total ? `${offset + 1}–${Math.min(offset + limit, total)} of ${total}` : ''}
          </span>
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - limit))}>
            Previous
          </button>
          <button type="button" disabled={offset + limit >= total} onClick={() => setOffset(offset + limit)}>
            Next
          </button>
        </div>
      </section>
      {acking && <AckDialog violationIds={acking} onClose={() => setAcking(null)} onDone={() => setSelected(new Set())} />}
    </div>
  );
}
