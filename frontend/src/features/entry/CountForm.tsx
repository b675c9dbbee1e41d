// Entry for attribute charts (p, np, c, u): the count of nonconforming items or of
// nonconformities, and for p and u the sample size when it differs from the usual one (np and
// c charts have one fixed size). Enter moves from the count to the size and submits from the
// last field; the server's errors land on `count` and `size`.
import { useRef, useState, type KeyboardEvent } from 'react';
import type { Characteristic, SampleIn } from '@/lib/api';
import { chartInfo, countLabel } from '@/lib/chartTypes';
import { parseNumber } from '@/lib/format';
import { ENTRY_FORM_ID, FormError, submitErrors, type Errors } from './entryForm';

type Key = 'count' | 'size';

/** The sample to send, or the errors of the fields. `defaultSize` is the characteristic's. */
export function validateCount(
  chartType: string,
  defaultSize: number,
  countText: string,
  sizeText: string,
): { body: SampleIn | null; errors: Errors } {
  const errors: Errors = {};
  const count = parseNumber(countText);
  if (!countText.trim()) errors.count = 'Required';
  else if (count === null) errors.count = 'Not a number';
  else if (!Number.isInteger(count) || count < 0) errors.count = 'A whole number, 0 or more';
  let size: number | null = null;
  if (sizeText.trim()) {
    size = parseNumber(sizeText);
    if (size === null) errors.size = 'Not a number';
    else if (size <= 0) errors.size = 'Above 0';
    else if (chartType === 'p' && !Number.isInteger(size)) errors.size = 'A whole number of items';
  }
  const items = chartType === 'p' || chartType === 'np';
  const n = size ?? defaultSize;
  if (!errors.count && !errors.size && items && count !== null && count > n) {
    errors.count = `At most the ${n} items inspected`;
  }
  if (Object.keys(errors).length) return { body: null, errors };
  return { body: size === null ? { count: count! } : { count: count!, size }, errors };
}

export function countServerErrors(error: unknown): Errors {
  return submitErrors(error, (path) => (path === 'count' || path === 'size' ? path : null));
}

export function CountForm({ characteristic: c, onSubmit }: { characteristic: Characteristic; onSubmit: (body: SampleIn) => Promise<unknown> }) {
  const info = chartInfo(c.chart_type);
  const withSize = !info.size.fixed;
  const [values, setValues] = useState<Record<Key, string>>({ count: '', size: '' });
  const [errors, setErrors] = useState<Errors>({});
  const inputs = useRef<Partial<Record<Key, HTMLInputElement | null>>>({});
  const keys: Key[] = withSize ? ['count', 'size'] : ['count'];
  const unit = c.subgroup_size === 1 ? info.size.unit.replace(/s$/, '') : info.size.unit;

  const focusFirst = (errs: Errors) => {
    const first = keys.find((k) => errs[k]);
    if (first) inputs.current[first]?.focus();
  };

  const send = async () => {
    const { body, errors: errs } = validateCount(c.chart_type, c.subgroup_size, values.count, withSize ? values.size : '');
    setErrors(errs);
    if (!body) return focusFirst(errs);
    try {
      await onSubmit(body);
    } catch (err) {
      const server = countServerErrors(err);
      setErrors(server);
      focusFirst(server);
    }
  };

  const onKeyDown = (k: Key) => (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const next = keys[keys.indexOf(k) + 1];
    if (next) {
      inputs.current[next]?.focus();
      inputs.current[next]?.select();
    } else {
      void send();
    }
  };

  const set = (k: Key, v: string) => {
    setValues({ ...values, [k]: v });
    if (errors[k]) {
      const rest = { ...errors };
      delete rest[k];
      setErrors(rest);
    }
  };

  const field = (k: Key, label: string, placeholder: string, hint?: string) => {
    const err = errors[k];
    const id = `entry-${k}`;
    return (
      <div className={`field${err ? ' has-error' : ''}`}>
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          ref={(el) => {
            inputs.current[k] = el;
          }}
          type="text"
          inputMode={k === 'count' || c.chart_type === 'p' ? 'numeric' : 'decimal'}
          autoComplete="off"
          autoFocus={k === 'count'}
          placeholder={placeholder}
          value={values[k]}
          aria-invalid={err ? 'true' : undefined}
          aria-describedby={err ? `${id}-error` : hint ? `${id}-hint` : undefined}
          onChange={(e) => set(k, e.target.value)}
          onKeyDown={onKeyDown(k)}
        />
        {err ? (
          <small id={`${id}-error`} className="field-error" role="alert">
            {err}
          </small>
        ) : (
          hint && (
            <small id={`${id}-hint`} className="hint">
              {hint}
            </small>
          )
        )}
      </div>
    );
  };

  return (
    <form
      id={ENTRY_FORM_ID}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <p className="muted" data-testid="entry-size-note">
        {withSize
          ? `Usually ${c.subgroup_size} ${unit} per sample; give the size when this sample's differs. Enter moves on and submits from the last field.`
          : `Every sample inspects ${c.subgroup_size} ${unit}.`}
      </p>
      <div className="entry-grid">
        {field('count', countLabel(c.chart_type), '0')}
        {withSize && field('size', c.chart_type === 'p' ? 'Items inspected' : 'Inspection units', String(c.subgroup_size), `empty: ${c.subgroup_size}`)}
      </div>
      <FormError errors={errors} />
    </form>
  );
}
