// Manual data entry: one field per measurement of the subgroup. Enter moves to the next
// field and submits from the last; everything is checked before it is sent; the server's
// field errors land on the field; the violations the sample caused are shown right after.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type KeyboardEvent } from 'react';
import { api, ApiError, unwrap, type SampleResult } from '@/lib/api';
import { fmt, parseNumber } from '@/lib/format';
import { keys } from '@/lib/queryKeys';
import { ErrorText, Modal, SeverityBadge } from '@/lib/ui';

export interface EntryModalProps {
  characteristicId: number;
  onClose: () => void;
  /** Called after a sample was stored (e.g. to point at it). */
  onSubmitted?: (result: SampleResult) => void;
}

type Errors = Record<string, string>;

export function validateMeasurements(values: string[]): { numbers: number[] | null; errors: Errors } {
  const errors: Errors = {};
  const numbers: number[] = [];
  values.forEach((text, i) => {
    if (!text.trim()) {
      errors[String(i)] = 'Required';
      return;
    }
    const n = parseNumber(text);
    if (n === null) errors[String(i)] = 'Not a number';
    else numbers.push(n);
  });
  return { numbers: Object.keys(errors).length ? null : numbers, errors };
}

/** Server 422 errors per measurement field ("measurements.2" → field 2); the rest for the form. */
export function serverErrors(error: unknown, count: number): Errors {
  if (!(error instanceof ApiError)) return { form: error instanceof Error ? error.message : 'Submission failed' };
  if (error.status !== 422) return { form: error.message };
  const out: Errors = {};
  for (const [path, msg] of Object.entries(error.fieldErrors)) {
    const m = /^measurements(?:\.(\d+))?$/.exec(path);
    if (m && m[1] !== undefined && Number(m[1]) < count) out[m[1]] = msg;
    else if (m) out['0'] = out['0'] ? `${out['0']}; ${msg}` : msg;
    else out.form = out.form ? `${out.form}; ${msg}` : `${path ? `${path}: ` : ''}${msg}`;
  }
  return Object.keys(out).length ? out : { form: error.message };
}

export function EntryModal({ characteristicId, onClose, onSubmitted }: EntryModalProps) {
  const client = useQueryClient();
  const characteristic = useQuery({
    queryKey: keys.characteristic(characteristicId),
    queryFn: () => unwrap(api.getCharacteristic({ path: { characteristic_id: characteristicId } })),
  });
  const c = characteristic.data;
  const n = c?.subgroup_size ?? 0;
  const decimals = c?.decimal_places ?? 3;
  const [values, setValues] = useState<string[]>([]);
  const [errors, setErrors] = useState<Errors>({});
  const [result, setResult] = useState<SampleResult | null>(null);
  const inputs = useRef<(HTMLInputElement | null)[]>([]);
  const fields = values.length === n ? values : Array.from({ length: n }, (_, i) => values[i] ?? '');

  const submit = useMutation({
    mutationFn: (measurements: number[]) =>
      unwrap(api.submitSample({ path: { characteristic_id: characteristicId }, body: { measurements } })),
    onSuccess: (res) => {
      setResult(res);
      setErrors({});
      for (const key of [keys.chart(characteristicId), keys.due, keys.violations, keys.summary, keys.capability(characteristicId)]) {
        void client.invalidateQueries({ queryKey: key });
      }
      onSubmitted?.(res);
    },
    onError: (err) => {
      const errs = serverErrors(err, n);
      setErrors(errs);
      const first = Object.keys(errs).find((k) => k !== 'form');
      if (first !== undefined) inputs.current[Number(first)]?.focus();
    },
  });

  const send = () => {
    const { numbers, errors: errs } = validateMeasurements(fields);
    setErrors(errs);
    if (!numbers) {
      const first = Number(Object.keys(errs)[0]);
      inputs.current[first]?.focus();
      return;
    }
    submit.mutate(numbers);
  };

  const onKeyDown = (i: number) => (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    if (i < n - 1) {
      inputs.current[i + 1]?.focus();
      inputs.current[i + 1]?.select();
    } else {
      send();
    }
  };

  const setValue = (i: number, v: string) => {
    const next = [...fields];
    next[i] = v;
    setValues(next);
    if (errors[String(i)]) {
      const rest = { ...errors };
      delete rest[String(i)];
      setErrors(rest);
    }
  };

  const again = () => {
    setResult(null);
    setValues(Array.from({ length: n }, () => ''));
    submit.reset();
    setTimeout(() => inputs.current[0]?.focus(), 0);
  };

  const placeholder = fmt(0, decimals);
  const title = c ? `Enter sample: ${c.name}` : 'Enter sample';

  if (result) {
    const v = result.violations;
    return (
      <Modal
        title={title}
        onClose={onClose}
        footer={
          <>
            <button type="button" onClick={again}>
              Enter another
            </button>
            <button type="button" className="primary" autoFocus onClick={onClose}>
              Close
            </button>
          </>
        }
      >
        <div className="entry-result" data-testid="entry-result">
          <p>
            Sample #{result.sample.id} saved: {result.sample.subgroup_size > 1 ? 'mean' : 'value'}{' '}
            <strong>{fmt(result.sample.value, decimals)}</strong>
            {c?.unit ? ` ${c.unit}` : ''}.
          </p>
          {v.length === 0 ? (
            <p className="ok-text" data-testid="entry-no-violations">No rule was broken.</p>
          ) : (
            <div role="alert" className="entry-violations" data-testid="entry-violations">
              <p>
                <strong>
                  This sample broke {v.length} rule{v.length > 1 ? 's' : ''}:
                </strong>
              </p>
              <ul>
                {v.map((x) => (
                  <li key={x.id}>
                    <SeverityBadge severity={x.severity} /> {x.rule_id ? `Rule ${x.rule_id}: ` : ''}
                    {x.rule_name}
                    {x.chart === 'dispersion' ? ' (dispersion chart)' : ''}
                  </li>
                ))}
              </ul>
              <p className="muted">Tell your supervisor or acknowledge it on the Alerts page with a reason.</p>
            </div>
          )}
        </div>
      </Modal>
    );
  }

  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="entry-form" className="primary" disabled={submit.isPending || !c}>
            {submit.isPending ? 'Saving…' : 'Submit'}
          </button>
        </>
      }
    >
      <ErrorText error={characteristic.error} />
      {c && (
        <form
          id="entry-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          <p className="muted">
            {n} measurement{n > 1 ? 's' : ''}
            {c.unit ? ` in ${c.unit}` : ''}, {decimals} decimal place{decimals === 1 ? '' : 's'}. Enter moves to the next field and submits from the last.
          </p>
          <div className="entry-grid">
            {fields.map((value, i) => {
              const err = errors[String(i)];
              const id = `measurement-${i}`;
              return (
                <div key={i} className={`field${err ? ' has-error' : ''}`}>
                  <label htmlFor={id}>
                    {n > 1 ? `Measurement ${i + 1}` : 'Value'}
                    {c.unit ? ` (${c.unit})` : ''}
                  </label>
                  <div className="input-unit">
                    <input
                      id={id}
                      ref={(el) => {
                        inputs.current[i] = el;
                      }}
                      type="text"
                      inputMode="decimal"
                      autoComplete="off"
                      autoFocus={i === 0}
                      placeholder={placeholder}
                      value={value}
                      aria-invalid={err ? 'true' : undefined}
                      aria-describedby={err ? `${id}-error` : undefined}
                      onChange={(e) => setValue(i, e.target.value)}
                      onKeyDown={onKeyDown(i)}
                    />
                    {c.unit && <span className="unit">{c.unit}</span>}
                  </div>
                  {err && (
                    <small id={`${id}-error`} className="field-error" role="alert">
                      {err}
                    </small>
                  )}
                </div>
              );
            })}
          </div>
          {errors.form && (
            <p className="error-text" role="alert">
              {errors.form}
            </p>
          )}
        </form>
      )}
    </Modal>
  );
}
