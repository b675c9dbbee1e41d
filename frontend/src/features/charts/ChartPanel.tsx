import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode, type RefObject } from 'react';
import { api, unwrap, type CharacteristicSummary, type LimitsOut } from '@/lib/api';
import { fmt, fmtTime } from '@/lib/format';
import { useLiveSubscription, usePollInterval } from '@/lib/live';
import { keys } from '@/lib/queryKeys';
import { useCan } from '@/lib/roles';
import { Empty, ErrorText, Field, Modal, SeverityBadge } from '@/lib/ui';
import { chartLabels, ruleText, toRows, type PlotRow } from './chartModel';
import { ControlChart } from './ControlChart';

const SIZES = [50, 100, 250, 500, 1000];

function useWidth<T extends HTMLElement>(): [RefObject<T>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

function ExcludeDialog({ row, onClose }: { row: PlotRow; onClose: () => void }) {
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const exclude = !row.excluded;
  const mutation = useMutation({
    mutationFn: () => unwrap(api.setSampleExclusion({ path: { sample_id: row.sampleId }, body: { excluded: exclude, reason: reason.trim() } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['chart'] });
      void client.invalidateQueries({ queryKey: ['capability'] });
      onClose();
    },
  });
  const submit = () => {
    if (!reason.trim()) {
      setError('Give a reason.');
      return;
    }
    setError(null);
    mutation.mutate();
  };
  return (
    <Modal
      title={`${exclude ? 'Exclude' : 'Include'} sample #${row.sampleId}`}
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={submit} disabled={mutation.isPending}>
            {exclude ? 'Exclude' : 'Include'}
          </button>
        </>
      }
    >
      <p className="muted">
        {exclude
          ? 'An excluded sample keeps its values but is left out of the rules and of limit calculations. It is drawn hollow.'
          : 'The sample counts again for the rules and limit calculations.'}
      </p>
      <Field label="Reason" htmlFor="exclusion-reason" error={error ?? undefined}>
        <input
          id="exclusion-reason"
          autoFocus
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && submit()}
          maxLength={1000}
        />
      </Field>
      <ErrorText error={mutation.error} />
    </Modal>
  );
}

export interface ChartPanelProps {
  characteristicId: number;
  /** A sample to point at (from an alert), ringed on the chart. */
  highlightSampleId?: number | null;
  /** Limits being previewed (drawn dashed over the chart). */
  preview?: LimitsOut | null;
  /** Called when the user picks a point. */
  onPointSelect?: (row: PlotRow | null) => void;
  /** Buttons for the panel's header (e.g. "Enter sample"), given the characteristic. */
  actions?: (characteristic: CharacteristicSummary) => ReactNode;
  height?: number;
}

export function ChartPanel({ characteristicId, highlightSampleId, preview, onPointSelect, actions, height = 300 }: ChartPanelProps) {
  const [size, setSize] = useState(100);
  const [selected, setSelected] = useState<PlotRow | null>(null);
  const [excluding, setExcluding] = useState<PlotRow | null>(null);
  const canExclude = useCan('engineer');
  const poll = usePollInterval();
  useLiveSubscription([characteristicId]);
  const [ref, width] = useWidth<HTMLDivElement>();

  const chart = useQuery({
    queryKey: [...keys.chart(characteristicId), size],
    queryFn: () => unwrap(api.getChartData({ path: { characteristic_id: characteristicId }, query: { limit: size } })),
    refetchInterval: poll,
    placeholderData: (prev) => (prev?.characteristic.id === characteristicId ? prev : undefined),
  });
  const data = chart.data;
  const rows = useMemo(() => toRows(data?.points ?? []), [data]);

  useEffect(() => {
    setSelected(null);
  }, [characteristicId]);
  // Keep the selected point in step with fresh data (e.g. after excluding it).
  const selectedRow = selected ? rows.find((r) => r.sampleId === selected.sampleId) ?? selected : null;

  const select = (row: PlotRow) => {
    const next = selectedRow?.sampleId === row.sampleId ? null : row;
    setSelected(next);
    onPointSelect?.(next);
  };

  const c = data?.characteristic;
  const labels = chartLabels(data?.chart_type ?? 'imr');
  const decimals = c?.decimal_places ?? 3;
  const limits = data?.current_limits;
  const highlightMissing = highlightSampleId != null && rows.length > 0 && !rows.some((r) => r.sampleId === highlightSampleId);

  return (
    <section className="panel chart-panel" aria-label="Control chart" data-testid="chart-panel" data-characteristic-id={characteristicId}>
      <div className="panel-title chart-title">
        <div>
          <h2>{c?.name ?? '…'}</h2>
          {c && (
            <span className="muted">
              {labels.name} · n = {c.subgroup_size}
              {c.unit ? ` · ${c.unit}` : ''} · {c.source === 'TAG' ? `tag ${c.tag ?? ''}` : 'manual entry'}
            </span>
          )}
        </div>
        <div className="chart-actions">
          <label className="inline-label">
            Points{' '}
            <select value={size} onChange={(e) => setSize(Number(e.target.value))} aria-label="Points shown">
              {SIZES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          {c && actions?.(c)}
        </div>
      </div>
      {c && (
        <dl className="limits-strip" data-testid="limits-strip">
          {limits ? (
            <>
              <div><dt>UCL</dt><dd data-testid="current-ucl">{fmt(limits.ucl, decimals)}</dd></div>
              <div><dt>CL</dt><dd data-testid="current-cl">{fmt(limits.center_line, decimals)}</dd></div>
              <div><dt>LCL</dt><dd data-testid="current-lcl">{fmt(limits.lcl, decimals)}</dd></div>
              <div><dt>σ</dt><dd>{fmt(limits.sigma, decimals + 1)}</dd></div>
              <div><dt>limits</dt><dd>v{limits.version} · {limits.method}</dd></div>
            </>
          ) : (
            <div className="baseline-note">
              Collecting a baseline: limits are calculated after {c.baseline_subgroups ?? 25} subgroups ({rows.length} so far).
            </div>
          )}
          {(c.usl !== null || c.lsl !== null) && (
            <div><dt>spec</dt><dd>{fmt(c.lsl, decimals)} … {fmt(c.usl, decimals)}</dd></div>
          )}
        </dl>
      )}
      <ErrorText error={chart.error} />
      <div ref={ref} className="chart-stack">
        {data && rows.length === 0 && <Empty>No samples yet.</Empty>}
        {data && rows.length > 0 && width > 0 && (
          <>
            <ControlChart
              rows={rows}
              kind="primary"
              label={labels.primary}
              decimals={decimals}
              unit={c?.unit}
              spec={data.spec}
              preview={preview}
              highlightSampleId={highlightSampleId}
              selectedSampleId={selectedRow?.sampleId}
              onPointClick={select}
              width={width}
              height={height}
              syncId={`chart-${characteristicId}`}
            />
            <ControlChart
              rows={rows}
              kind="dispersion"
              label={labels.dispersion}
              decimals={decimals}
              unit={c?.unit}
              preview={preview}
              highlightSampleId={highlightSampleId}
              selectedSampleId={selectedRow?.sampleId}
              onPointClick={select}
              width={width}
              height={Math.round(height * 0.62)}
              syncId={`chart-${characteristicId}`}
            />
          </>
        )}
      </div>
      {highlightMissing && <p className="muted">Sample #{highlightSampleId} is older than the points shown; show more points.</p>}
      <div className="chart-legend" aria-hidden="true">
        <span className="lg lg-cl">CL</span>
        <span className="lg lg-limit">UCL / LCL</span>
        <span className="lg lg-zones">zones ±1σ ±2σ</span>
        {(c?.usl != null || c?.lsl != null) && <span className="lg lg-spec">USL / LSL</span>}
        <span className="lg lg-critical">critical</span>
        <span className="lg lg-warning">warning</span>
        <span className="lg lg-excluded">excluded</span>
        {preview && <span className="lg lg-preview">preview</span>}
      </div>
      {selectedRow && (
        <div className="point-details" data-testid="point-details">
          <div>
            <strong>Sample #{selectedRow.sampleId}</strong> · {fmtTime(selectedRow.timestamp)} · {labels.primary} = {fmt(selectedRow.value, decimals)}
            {selectedRow.dispersion !== null && ` · ${labels.dispersion} = ${fmt(selectedRow.dispersion, decimals)}`}
            {selectedRow.excluded && <span className="badge">excluded</span>}
          </div>
          {[...selectedRow.violations.primary, ...selectedRow.violations.dispersion].map((v) => (
            <div key={v.id}>
              <SeverityBadge severity={v.severity} /> {ruleText(v)} {v.chart === 'dispersion' ? `(${labels.dispersion} chart)` : ''}
              {v.acknowledged ? ' · acknowledged' : ' · open'}
            </div>
          ))}
          {canExclude && (
            <button type="button" onClick={() => setExcluding(selectedRow)}>
              {selectedRow.excluded ? 'Include sample…' : 'Exclude sample…'}
            </button>
          )}
        </div>
      )}
      {excluding && <ExcludeDialog row={excluding} onClose={() => setExcluding(null)} />}
    </section>
  );
}
