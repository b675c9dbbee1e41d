import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode, type RefObject } from 'react';
import { api, unwrap, type CharacteristicSummary, type LimitsOut } from '@/lib/api';
import { chartFamily, chartSummary, chartsOf } from '@/lib/chartTypes';
import { fmtTime } from '@/lib/format';
import { useLiveSubscription, usePollInterval } from '@/lib/live';
import { keys } from '@/lib/queryKeys';
import { useCan } from '@/lib/roles';
import { Empty, ErrorText, Field, Modal, SeverityBadge } from '@/lib/ui';
import { chartLabels, pointSummary, ruleText, toRows, type PlotRow } from './chartModel';
import { ControlChart } from './ControlChart';
import { ChartLegend } from './ChartLegend';
import { LimitsStrip } from './LimitsStrip';

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
  const rows = useMemo(() => toRows(data?.points ?? [], data?.chart_type), [data]);

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
  const chartType = data?.chart_type ?? 'imr';
  const labels = chartLabels(chartType);
  const withDispersion = chartsOf(chartType).includes('dispersion');
  // Specification limits belong with measurements, not with counts or EWMA/CUSUM statistics.
  const spec = chartFamily(chartType) === 'variables' ? data?.spec : undefined;
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
              {chartSummary(c)}
              {c.unit && chartFamily(c.chart_type) !== 'attribute' ? ` · ${c.unit}` : ''} · {c.source === 'TAG' ? `tag ${c.tag ?? ''}` : 'manual entry'}
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
      {c && <LimitsStrip characteristic={c} limits={limits} decimals={decimals} points={rows.length} />}
      <ErrorText error={chart.error} />
      <div ref={ref} className="chart-stack">
        {data && rows.length === 0 && <Empty>No samples yet.</Empty>}
        {data && rows.length > 0 && width > 0 && (
          <>
            <ControlChart
              rows={rows}
              kind="primary"
              chartType={chartType}
              label={labels.primary}
              decimals={decimals}
              unit={c?.unit}
              spec={spec}
              preview={preview}
              highlightSampleId={highlightSampleId}
              selectedSampleId={selectedRow?.sampleId}
              onPointClick={select}
              width={width}
              height={height}
              syncId={`chart-${characteristicId}`}
            />
            {withDispersion && (
              <ControlChart
                rows={rows}
                kind="dispersion"
                chartType={chartType}
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
            )}
          </>
        )}
      </div>
      {highlightMissing && <p className="muted">Sample #{highlightSampleId} is older than the points shown; show more points.</p>}
      <ChartLegend chartType={chartType} rows={rows} spec={spec != null && (spec.usl != null || spec.lsl != null)} preview={!!preview} />
      {selectedRow && (
        <div className="point-details" data-testid="point-details">
          <div>
            <strong>Sample #{selectedRow.sampleId}</strong> · {fmtTime(selectedRow.timestamp)} · {pointSummary(selectedRow, chartType, decimals)}
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
