// Entry of measurements (X̄, I, EWMA and CUSUM charts): one field per measurement of the
// subgroup. Enter moves to the next field and submits from the last; everything is checked
// before it is sent; the server's field errors land on the field.
import { useRef, useState, type KeyboardEvent } from 'react';
import type { Characteristic, SampleIn } from '@/lib/api';
import { fmt, parseNumber } from '@/lib/format';
import { ENTRY_FORM_ID, FormError, submitErrors, type Errors } from './entryForm';

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
  return submitErrors(error, (path) => {
    const m = /^measurements(?:\.(\d+))?$/.exec(path);
    if (!m) return null;
    return m[1] !== undefined && Number(m[1]) < count ? m[1] : '0';
  });
}

export function MeasurementForm({ characteristic: c, onSubmit }: { characteristic: Characteristic; onSubmit: (body: SampleIn) => Promise<unknown> }) {
  const n = c.subgroup_size;
  const decimals = c.decimal_places;
  const [values, setValues] = useState<string[]>(() => Array.from({ length: n }, () => ''));
  const [errors, setErrors] = useState<Errors>({});
  const inputs = useRef<(HTMLInputElement | null)[]>([]);

  const focusFirst = (errs: Errors) => {
    const first = Object.keys(errs).find((k) => k !== 'form');
    if (first !== undefined) inputs.current[Number(first)]?.focus();
  };

  const send = async () => {
    const { numbers, errors: errs } = validateMeasurements(values);
    setErrors(errs);
    if (!numbers) return focusFirst(errs);
    try {
      await onSubmit({ measurements: numbers });
    } catch (err) {
      const server = serverErrors(err, n);
      setErrors(server);
      focusFirst(server);
    }
  };

  const onKeyDown = (i: number) => (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    if (i < n - 1) {
      inputs.current[i + 1]?.focus();
      inputs.current[i + 1]?.select();
    } else {
      void send();
    }
  };

  const setValue = (i: number, v: string) => {
    setValues(values.map((old, k) => (k === i ? v : old)));
    if (errors[String(i)]) {
      const rest = { ...errors };
      delete rest[String(i)];
      setErrors(rest);
    }
  };

  const placeholder = fmt(0, decimals);
  return (
    <form
      id={ENTRY_FORM_ID}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <p className="muted">
        {n} measurement{n > 1 ? 's' : ''}
        {c.unit ? ` in ${c.unit}` : ''}, {decimals} decimal place{decimals === 1 ? '' : 's'}. Enter moves to the next field and submits from the last.
      </p>
      <div className="entry-grid">
        {values.map((value, i) => {
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
      <FormError errors={errors} />
    </form>
  );
}
