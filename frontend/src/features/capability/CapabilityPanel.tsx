// Process capability of a characteristic: histogram with the specification limits, and the
// indices coloured by the usual thresholds (≥ 1.33 capable, ≥ 1.00 marginal, below: not).
// An attribute chart (p, np, c, u) shows its process average instead.
import { useQuery } from '@tanstack/react-query';
import { Bar, CartesianGrid, ComposedChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api, ApiError, unwrap, type CapabilityReport } from '@/lib/api';
import { isAttribute } from '@/lib/chartTypes';
import { fmt } from '@/lib/format';
import { keys } from '@/lib/queryKeys';
import { ErrorText } from '@/lib/ui';
import { ProcessAverage } from './ProcessAverage';

export type Grade = 'good' | 'marginal' | 'poor' | 'none';

export function grade(value: number | null | undefined): Grade {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'none';
  if (value >= 1.33) return 'good';
  if (value >= 1.0) return 'marginal';
  return 'poor';
}

const GRADE_TEXT: Record<Grade, string> = {
  good: 'capable (≥ 1.33)',
  marginal: 'marginal (1.00–1.33)',
  poor: 'not capable (< 1.00)',
  none: 'not defined',
};

function Index({ name, value }: { name: string; value: number | null | undefined }) {
  const g = grade(value);
  return (
    <div className={`cap-index grade-${g}`} title={GRADE_TEXT[g]} data-testid={`index-${name}`} data-grade={g}>
      <span className="cap-name">{name}</span>
      <span className="cap-value">{value === null || value === undefined ? '—' : value.toFixed(2)}</span>
    </div>
  );
}

export function histogramRows(report: CapabilityReport) {
  const { edges, counts } = report.histogram;
  return counts.map((count, k) => ({ x: (edges[k] + edges[k + 1]) / 2, lo: edges[k], hi: edges[k + 1], count }));
}

export function CapabilityPanel({ characteristicId, decimals }: { characteristicId: number; decimals?: number }) {
  // Ask for capability only when it can be computed (no 422s in the console).
  const characteristic = useQuery({
    queryKey: keys.characteristic(characteristicId),
    queryFn: () => unwrap(api.getCharacteristic({ path: { characteristic_id: characteristicId } })),
  });
  const c = characteristic.data;
  const attribute = c ? isAttribute(c.chart_type) : false;
  const hasSpec = c && !attribute ? c.usl !== null || c.lsl !== null : false;
  const count = useQuery({
    queryKey: [...keys.capability(characteristicId), 'count'],
    queryFn: () => unwrap(api.listSamples({ path: { characteristic_id: characteristicId }, query: { limit: 1 } })),
    enabled: hasSpec,
    refetchInterval: 60_000,
  });
  const enough = (count.data?.total ?? 0) >= 2;
  const cap = useQuery({
    queryKey: keys.capability(characteristicId),
    queryFn: () => unwrap(api.getCapability({ path: { characteristic_id: characteristicId } })),
    enabled: hasSpec && enough,
    staleTime: 30_000,
    refetchInterval: 60_000,
  });
  const r = cap.data;
  const reason = !c || attribute
    ? null
    : !hasSpec
      ? 'Capability needs a specification limit (USL or LSL).'
      : count.data && !enough
        ? 'Not enough samples yet for capability.'
        : cap.error instanceof ApiError && cap.error.status === 422
          ? cap.error.message
          : null;
  const d = decimals ?? c?.decimal_places ?? 3;
  const rows = r ? histogramRows(r) : [];
  const xs = r ? [r.histogram.edges[0], r.histogram.edges[r.histogram.edges.length - 1], r.lsl, r.usl].filter((v): v is number => v !== null) : [];
  const span = xs.length ? Math.max(...xs) - Math.min(...xs) || 1 : 1;
  const domain: [number, number] = xs.length ? [Math.min(...xs) - span * 0.05, Math.max(...xs) + span * 0.05] : [0, 1];

  return (
    <section className="panel capability-panel" aria-label="Capability" data-testid="capability-panel">
      <div className="panel-title">
        <h2>{attribute ? 'Process average' : 'Capability'}</h2>
        {r && (
          <span className="muted">
            {r.n} values · {r.subgroups} subgroups · σ within from {r.sigma_source === 'limits' ? 'the control limits' : 'the data'}
          </span>
        )}
      </div>
      {c && attribute && <ProcessAverage characteristic={c} />}
      {reason && <p className="muted">{reason}</p>}
      {!reason && <ErrorText error={cap.error ?? characteristic.error ?? count.error} />}
      {r && (
        <div className="capability-body">
          <div className="cap-indices">
            <Index name="Cp" value={r.indices.cp} />
            <Index name="Cpk" value={r.indices.cpk} />
            <Index name="Pp" value={r.indices.pp} />
            <Index name="Ppk" value={r.indices.ppk} />
            {r.indices.cpm !== null && <Index name="Cpm" value={r.indices.cpm} />}
            <dl className="cap-stats">
              <div><dt>mean</dt><dd>{fmt(r.mean, d)}</dd></div>
              <div><dt>σ within</dt><dd>{fmt(r.sigma_within, d + 1)}</dd></div>
              <div><dt>σ overall</dt><dd>{fmt(r.sigma_overall, d + 1)}</dd></div>
              {r.normality && (
                <div>
                  <dt>normality</dt>
                  <dd title={`Anderson–Darling A² = ${r.normality.a2.toFixed(3)}`}>
                    p = {r.normality.p_value < 0.001 ? '< 0.001' : r.normality.p_value.toFixed(3)}
                    {r.normality.p_value < 0.05 ? ' (not normal)' : ''}
                  </dd>
                </div>
              )}
            </dl>
          </div>
          <div className="cap-histogram" data-testid="capability-histogram">
            <ResponsiveContainer width="100%" height={200}>
              <ComposedChart data={rows} margin={{ top: 18, right: 24, bottom: 0, left: 0 }} barCategoryGap={1}>
                <CartesianGrid stroke="#e6e9ee" vertical={false} />
                <XAxis dataKey="x" type="number" domain={domain} tickFormatter={(v: number) => fmt(v, d)} tick={{ fontSize: 11 }} />
                <YAxis allowDecimals={false} width={40} tick={{ fontSize: 11 }} />
                <Tooltip
                  isAnimationActive={false}
                  formatter={(value: number) => [value, 'count']}
                  labelFormatter={(_: unknown, payload) => {
                    const p = payload?.[0]?.payload as { lo: number; hi: number } | undefined;
                    return p ? `${fmt(p.lo, d)} – ${fmt(p.hi, d)}` : '';
                  }}
                />
                <Bar dataKey="count" fill="#7a9cc6" isAnimationActive={false} />
                {r.lsl !== null && <ReferenceLine x={r.lsl} stroke="#6a3d9a" strokeWidth={2} strokeDasharray="6 4" label={{ value: 'LSL', position: 'top', fontSize: 11, fill: '#6a3d9a' }} />}
                {r.usl !== null && <ReferenceLine x={r.usl} stroke="#6a3d9a" strokeWidth={2} strokeDasharray="6 4" label={{ value: 'USL', position: 'top', fontSize: 11, fill: '#6a3d9a' }} />}
                {r.target !== null && <ReferenceLine x={r.target} stroke="#2e7d32" strokeDasharray="3 3" label={{ value: 'T', position: 'top', fontSize: 11, fill: '#2e7d32' }} />}
                <ReferenceLine x={r.mean} stroke="#1f4e79" label={{ value: 'x̄', position: 'top', fontSize: 11, fill: '#1f4e79' }} />
              </ComposedChart>
            </ResponsiveContainer>
          </div>
        </div>
      )}
    </section>
  );
}
