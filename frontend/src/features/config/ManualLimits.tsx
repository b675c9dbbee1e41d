// Limits set by hand, in the terms of the chart family: a center line and σ (or UCL and LCL)
// for X̄ and I charts; only the center line (p̄, n·p̄, c̄ or ū) for attribute charts, whose
// limits follow from it; the target and the process σ for EWMA and CUSUM.
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, unwrap, type Characteristic, type LimitsOut, type ManualLimitsIn } from '@/lib/api';
import { chartFamily, chartInfo } from '@/lib/chartTypes';
import { parseNumber } from '@/lib/format';
import { ErrorText, Field } from '@/lib/ui';

export interface ManualValues {
  center: string;
  mode: 'sigma' | 'lines';
  sigma: string;
  ucl: string;
  lcl: string;
  comment: string;
}

const EMPTY: ManualValues = { center: '', mode: 'sigma', sigma: '', ucl: '', lcl: '', comment: '' };

/** The request body, or the errors by field (center, sigma, ucl, lcl). */
export function manualLimits(chartType: string, v: ManualValues): { body: ManualLimitsIn | null; errors: Record<string, string> } {
  const e: Record<string, string> = {};
  const family = chartFamily(chartType);
  const c = parseNumber(v.center);
  const comment = v.comment.trim() || null;
  if (c === null) e.center = 'A number';
  if (family === 'attribute') {
    if (c !== null && chartType === 'p' && !(c > 0 && c < 1)) e.center = 'A fraction between 0 and 1';
    else if (c !== null && c <= 0) e.center = 'Above 0';
    return Object.keys(e).length ? { body: null, errors: e } : { body: { center_line: c!, comment }, errors: e };
  }
  if (family === 'time_weighted' || v.mode === 'sigma') {
    const s = parseNumber(v.sigma);
    if (s === null) e.sigma = 'A number';
    else if (s <= 0) e.sigma = 'Above 0';
    return Object.keys(e).length ? { body: null, errors: e } : { body: { center_line: c!, sigma: s!, comment }, errors: e };
  }
  const u = parseNumber(v.ucl);
  const l = parseNumber(v.lcl);
  if (u === null) e.ucl = 'A number';
  if (l === null) e.lcl = 'A number';
  if (u !== null && l !== null && !(u > l)) e.ucl = 'UCL must be above LCL';
  if (c !== null && u !== null && !(u > c)) e.ucl = 'UCL must be above the center line';
  if (c !== null && l !== null && !(l < c)) e.lcl = 'LCL must be below the center line';
  return Object.keys(e).length ? { body: null, errors: e } : { body: { center_line: c!, ucl: u!, lcl: l!, comment }, errors: e };
}

export function ManualLimits({ characteristic, onSaved }: { characteristic: Characteristic; onSaved: (l: LimitsOut) => void }) {
  const chartType = characteristic.chart_type;
  const family = chartFamily(chartType);
  const [manual, setManual] = useState<ManualValues>(EMPTY);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: (body: ManualLimitsIn) => unwrap(api.setLimits({ path: { characteristic_id: characteristic.id }, body })),
    onSuccess: (l) => {
      setManual({ ...EMPTY, mode: manual.mode });
      onSaved(l);
    },
    onError: (err) => {
      if (err instanceof ApiError) {
        const fe = err.fieldErrors;
        setErrors({ center: fe.center_line, sigma: fe.sigma, ucl: fe.ucl, lcl: fe.lcl, form: fe[''] });
      }
    },
  });
  const submit = () => {
    const { body, errors: e } = manualLimits(chartType, manual);
    setErrors(e);
    if (body) save.mutate(body);
  };
  const input = (key: 'center' | 'sigma' | 'ucl' | 'lcl', label: string) => (
    <Field label={label} htmlFor={`ml-${key}`} error={errors[key]}>
      <input
        id={`ml-${key}`}
        inputMode="decimal"
        value={manual[key]}
        aria-invalid={errors[key] ? 'true' : undefined}
        onChange={(e) => setManual({ ...manual, [key]: e.target.value })}
      />
    </Field>
  );

  return (
    <section className="panel">
      <h3>Set limits by hand</h3>
      {family === 'attribute' && <p className="muted">The limits follow from the center line and each sample’s size.</p>}
      <div className="form-grid">
        {input('center', chartInfo(chartType).centerLabel)}
        {family === 'variables' && (
          <Field label="Given as" htmlFor="ml-mode">
            <select id="ml-mode" value={manual.mode} onChange={(e) => setManual({ ...manual, mode: e.target.value as ManualValues['mode'] })}>
              <option value="sigma">process σ</option>
              <option value="lines">UCL and LCL</option>
            </select>
          </Field>
        )}
        {family !== 'attribute' && (family === 'time_weighted' || manual.mode === 'sigma') && input('sigma', 'Process σ')}
        {family === 'variables' && manual.mode === 'lines' && (
          <>
            {input('ucl', 'UCL')}
            {input('lcl', 'LCL')}
          </>
        )}
        <div className="span-2">
          <Field label="Comment" htmlFor="ml-comment">
            <input id="ml-comment" value={manual.comment} onChange={(e) => setManual({ ...manual, comment: e.target.value })} maxLength={1000} />
          </Field>
        </div>
      </div>
      {errors.form && <p className="error-text">{errors.form}</p>}
      <ErrorText error={save.error && !(save.error instanceof ApiError && save.error.status === 422) ? save.error : null} />
      <div className="form-actions">
        <button type="button" className="primary" onClick={submit} disabled={save.isPending}>
          Set limits
        </button>
      </div>
    </section>
  );
}
