// Control limits of one characteristic: the current version and the history; recalculation
// from a chosen range of samples with a preview drawn on the chart before it is saved; limits
// set by hand (ManualLimits). Every value is named as the chart type names it (p̄, ±H, ...).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Characteristic, type LimitsOut, type RecalculateIn } from '@/lib/api';
import { limitItems, lineNames } from '@/lib/chartTypes';
import { fmt, fmtTime } from '@/lib/format';
import { keys } from '@/lib/queryKeys';
import { ErrorText, Field } from '@/lib/ui';
import { ManualLimits } from './ManualLimits';

type SigmaMethod = NonNullable<RecalculateIn['sigma_method']>;

const SIGMA_METHODS: Record<string, { value: SigmaMethod; label: string }[]> = {
  imr: [
    { value: 'mr_bar', label: 'MR̄ / d2' },
    { value: 'mr_median', label: 'median MR / d4' },
  ],
  xbar_r: [
    { value: 'r_bar', label: 'R̄ / d2' },
    { value: 'r_bar_mvlue', label: 'R MVLUE' },
  ],
  xbar_s: [
    { value: 's_bar', label: 'S̄ / c4' },
    { value: 's_bar_mvlue', label: 'S MVLUE' },
    { value: 'pooled_sd', label: 'pooled SD' },
  ],
};

function LimitsTable({ l, chartType, decimals }: { l: LimitsOut; chartType: string; decimals: number }) {
  return (
    <dl className="limits-strip">
      {limitItems(chartType, l, decimals).map((item) => (
        <div key={item.term} title={item.title}>
          <dt>{item.term}</dt>
          <dd>{item.value}</dd>
        </div>
      ))}
      {l.dispersion_center !== null && (
        <div>
          <dt>dispersion</dt>
          <dd>
            {fmt(l.dispersion_lcl, decimals)} · {fmt(l.dispersion_center, decimals)} · {fmt(l.dispersion_ucl, decimals)}
          </dd>
        </div>
      )}
      {l.sample_count !== null && (
        <div><dt>from</dt><dd>{l.sample_count} samples (#{l.from_sample_id}–#{l.to_sample_id})</dd></div>
      )}
    </dl>
  );
}

export function LimitsPanel({
  characteristic,
  selectedSampleId,
  onPreview,
}: {
  characteristic: Characteristic;
  /** The point picked on the chart, offered as the start or end of the range. */
  selectedSampleId: number | null;
  onPreview: (limits: LimitsOut | null) => void;
}) {
  const client = useQueryClient();
  const id = characteristic.id;
  const decimals = characteristic.decimal_places;
  const history = useQuery({
    queryKey: keys.limitsHistory(id),
    queryFn: () => unwrap(api.limitsHistory({ path: { characteristic_id: id } })),
  });
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [method, setMethod] = useState<string>('');
  const [comment, setComment] = useState('');
  const [preview, setPreview] = useState<LimitsOut | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const chartType = characteristic.chart_type;
  const names = lineNames(chartType);
  const sigmaMethods = SIGMA_METHODS[chartType] ?? [];

  const refresh = () => {
    for (const queryKey of [keys.limitsHistory(id), keys.characteristic(id), keys.chart(id), keys.characteristics, keys.capability(id)]) {
      void client.invalidateQueries({ queryKey });
    }
  };
  const showPreview = (l: LimitsOut | null) => {
    setPreview(l);
    onPreview(l);
  };

  const body = (previewOnly: boolean): RecalculateIn => ({
    from_sample_id: from ? Number(from) : null,
    to_sample_id: to ? Number(to) : null,
    sigma_method: (method || null) as SigmaMethod | null,
    comment: comment.trim() || null,
    preview: previewOnly,
  });
  const recalc = useMutation({
    mutationFn: (previewOnly: boolean) => unwrap(api.recalculateLimits({ path: { characteristic_id: id }, body: body(previewOnly) })),
    onSuccess: (l, previewOnly) => {
      if (previewOnly) {
        showPreview(l);
        setNotice(null);
      } else {
        showPreview(null);
        setNotice(`Saved limits version ${l.version}.`);
        refresh();
      }
    },
  });
  const current = characteristic.current_limits;
  const versions = history.data ?? [];

  return (
    <div className="limits-panel">
      <div className="two-col">
        <section className="panel">
          <h3>Current limits</h3>
          {current ? (
            <>
              <p className="muted">
                Version {current.version} · {current.method} · {current.created_by ?? 'system'} · {fmtTime(current.created_at)}
              </p>
              <LimitsTable l={current} chartType={chartType} decimals={decimals} />
            </>
          ) : (
            <p className="muted">No limits yet: they are calculated after the baseline subgroups.</p>
          )}

          <h3>Recalculate from a range</h3>
          <p className="muted">Excluded samples are left out. Pick points on the chart to set the range, or leave it empty for all history.</p>
          <div className="form-grid">
            <Field label="From sample #" htmlFor="rc-from">
              <div className="editor-row">
                <input id="rc-from" inputMode="numeric" value={from} onChange={(e) => setFrom(e.target.value.replace(/\D/g, ''))} placeholder="first" />
                <button type="button" className="small" disabled={selectedSampleId === null} onClick={() => setFrom(String(selectedSampleId))}>
                  selected point
                </button>
              </div>
            </Field>
            <Field label="To sample #" htmlFor="rc-to">
              <div className="editor-row">
                <input id="rc-to" inputMode="numeric" value={to} onChange={(e) => setTo(e.target.value.replace(/\D/g, ''))} placeholder="last" />
                <button type="button" className="small" disabled={selectedSampleId === null} onClick={() => setTo(String(selectedSampleId))}>
                  selected point
                </button>
              </div>
            </Field>
            {sigmaMethods.length > 0 && (
              <Field label="σ estimator" htmlFor="rc-method">
                <select id="rc-method" value={method} onChange={(e) => setMethod(e.target.value)}>
                  <option value="">Default for the chart</option>
                  {sigmaMethods.map((m) => (
                    <option key={m.value} value={m.value}>
                      {m.label}
                    </option>
                  ))}
                </select>
              </Field>
            )}
            <Field label="Comment" htmlFor="rc-comment">
              <input id="rc-comment" value={comment} onChange={(e) => setComment(e.target.value)} maxLength={1000} />
            </Field>
          </div>
          {preview && (
            <div className="preview-box" data-testid="limits-preview">
              <strong>Preview</strong> (dashed blue on the chart, not saved yet)
              <LimitsTable l={preview} chartType={chartType} decimals={decimals} />
            </div>
          )}
          <ErrorText error={recalc.error} />
          {notice && <p className="notice" role="status">{notice}</p>}
          <div className="form-actions">
            {preview && (
              <button type="button" onClick={() => showPreview(null)}>
                Discard preview
              </button>
            )}
            <button type="button" onClick={() => recalc.mutate(true)} disabled={recalc.isPending}>
              Preview
            </button>
            <button type="button" className="primary" onClick={() => recalc.mutate(false)} disabled={!preview || recalc.isPending}>
              Save new limits
            </button>
          </div>
        </section>

        <ManualLimits
          characteristic={characteristic}
          onSaved={(l) => {
            setNotice(`Saved limits version ${l.version} (manual).`);
            refresh();
          }}
        />
      </div>

      <section className="panel">
        <h3>History</h3>
        <ErrorText error={history.error} />
        <table className="data" data-testid="limits-history">
          <thead>
            <tr>
              <th>Version</th>
              <th>Method</th>
              <th>When</th>
              <th>Who</th>
              <th className="num">{names.lcl}</th>
              <th className="num">{names.center}</th>
              <th className="num">{names.ucl}</th>
              {names.sigma && <th className="num">σ</th>}
              <th>From samples</th>
              <th>Comment</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.id ?? v.version}>
                <td>v{v.version}</td>
                <td>{v.method}</td>
                <td>{fmtTime(v.created_at)}</td>
                <td>{v.created_by ?? 'system'}</td>
                <td className="num">{fmt(v.lcl, decimals)}</td>
                <td className="num">{fmt(v.center_line, decimals)}</td>
                <td className="num">{fmt(v.ucl, decimals)}</td>
                {names.sigma && <td className="num">{fmt(v.sigma, decimals + 1)}</td>}
                <td>{v.sample_count !== null ? `${v.sample_count} (#${v.from_sample_id}–#${v.to_sample_id})` : '—'}</td>
                <td>{v.comment ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
