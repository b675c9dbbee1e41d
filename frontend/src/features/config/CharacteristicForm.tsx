// Create or edit a characteristic: chart type, subgroup size, specification limits, source
// and tag binding, sampling interval, unit and decimals; checked here, then by the server
// (whose field errors land on the fields).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ApiError, unwrap, type Characteristic, type CharacteristicCreate, type CharacteristicUpdate } from '@/lib/api';
import { parseNumber } from '@/lib/format';
import { keys } from '@/lib/queryKeys';
import { ConfirmDialog, ErrorText, Field } from '@/lib/ui';
import { flattenNodes } from './HierarchyEditor';

type ChartType = 'xbar_r' | 'xbar_s' | 'imr';
type Source = 'MANUAL' | 'TAG';

export interface FormValues {
  hierarchy_id: string;
  name: string;
  description: string;
  chart_type: ChartType;
  subgroup_size: string;
  unit: string;
  decimal_places: string;
  usl: string;
  lsl: string;
  target: string;
  source: Source;
  tag: string;
  sampling_interval_minutes: string;
  baseline_subgroups: string;
  center_line: string;
  sigma: string;
}

const TAG_FORM = /^(sparkplug:\/\/[^/+#]+\/[^/+#]+\/.+|mqtt:\/\/[^#+]+(#.+)?)$/;

export function initialValues(c: Characteristic | null, nodeId: number | null): FormValues {
  const s = (v: number | string | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return {
    hierarchy_id: s(c?.hierarchy_id ?? nodeId),
    name: c?.name ?? '',
    description: c?.description ?? '',
    chart_type: (c?.chart_type as ChartType) ?? 'xbar_r',
    subgroup_size: s(c?.subgroup_size ?? 5),
    unit: c?.unit ?? '',
    decimal_places: s(c?.decimal_places ?? 3),
    usl: s(c?.usl),
    lsl: s(c?.lsl),
    target: s(c?.target),
    source: (c?.source as Source) ?? 'MANUAL',
    tag: c?.tag ?? '',
    sampling_interval_minutes: s(c?.sampling_interval_minutes ?? (c ? null : 60)),
    baseline_subgroups: s(c?.baseline_subgroups),
    center_line: '',
    sigma: '',
  };
}

/** Client-side checks; the errors are keyed like the server's (`usl`, `tag`, ...). */
export function validate(v: FormValues, creating: boolean): Record<string, string> {
  const e: Record<string, string> = {};
  const num = (key: keyof FormValues, opts: { int?: boolean; min?: number; max?: number; required?: boolean } = {}) => {
    const text = v[key].trim();
    if (!text) {
      if (opts.required) e[key] = 'Required';
      return null;
    }
    const n = parseNumber(text);
    if (n === null) e[key] = 'Not a number';
    else if (opts.int && !Number.isInteger(n)) e[key] = 'A whole number';
    else if (opts.min !== undefined && n < opts.min) e[key] = `At least ${opts.min}`;
    else if (opts.max !== undefined && n > opts.max) e[key] = `At most ${opts.max}`;
    else return n;
    return null;
  };
  if (!v.hierarchy_id) e.hierarchy_id = 'Pick where it is measured';
  if (!v.name.trim()) e.name = 'Required';
  const n = num('subgroup_size', { int: true, min: 1, max: 25, required: true });
  if (n !== null && v.chart_type === 'imr' && n !== 1) e.subgroup_size = 'An I-MR chart has subgroups of 1';
  if (n !== null && v.chart_type !== 'imr' && n < 2) e.subgroup_size = 'X̄ charts need subgroups of 2 to 25';
  num('decimal_places', { int: true, min: 0, max: 10, required: true });
  const usl = num('usl');
  const lsl = num('lsl');
  const target = num('target');
  if (usl !== null && lsl !== null && !(lsl < usl)) e.lsl = 'LSL must be below USL';
  if (target !== null && ((lsl !== null && target < lsl) || (usl !== null && target > usl))) e.target = 'Target must lie within LSL…USL';
  if (v.source === 'TAG') {
    if (!v.tag.trim()) e.tag = 'A tag characteristic needs a tag';
    else if (!TAG_FORM.test(v.tag.trim())) e.tag = 'sparkplug://group/node[/device]/metric or mqtt://topic[#field]';
  }
  num('sampling_interval_minutes', { int: true, min: 1, max: 525600 });
  num('baseline_subgroups', { int: true, min: 2, max: 10000 });
  if (creating) {
    const cl = num('center_line');
    const sigma = num('sigma');
    if (cl !== null && sigma === null && !e.sigma) e.sigma = 'Give σ with the center line';
    if (sigma !== null && cl === null && !e.center_line) e.center_line = 'Give the center line with σ';
    if (sigma !== null && sigma <= 0) e.sigma = 'σ must be above 0';
  }
  return e;
}

export function toBody(v: FormValues): CharacteristicCreate {
  const n = (t: string) => (t.trim() ? parseNumber(t) : null);
  const body: CharacteristicCreate = {
    hierarchy_id: Number(v.hierarchy_id),
    name: v.name.trim(),
    description: v.description.trim() || null,
    unit: v.unit.trim() || null,
    decimal_places: Number(v.decimal_places),
    chart_type: v.chart_type,
    subgroup_size: Number(v.subgroup_size),
    usl: n(v.usl),
    lsl: n(v.lsl),
    target: n(v.target),
    source: v.source,
    tag: v.source === 'TAG' ? v.tag.trim() : null,
    sampling_interval_minutes: v.source === 'MANUAL' ? (n(v.sampling_interval_minutes) ?? null) : null,
    baseline_subgroups: n(v.baseline_subgroups),
  };
  const cl = n(v.center_line);
  const sigma = n(v.sigma);
  if (cl !== null && sigma !== null) body.limits = { center_line: cl, sigma };
  return body;
}

export function CharacteristicForm({
  characteristic,
  nodeId,
  onSaved,
  onDeleted,
  onCancel,
}: {
  characteristic: Characteristic | null;
  nodeId: number | null;
  onSaved: (c: Characteristic) => void;
  onDeleted?: () => void;
  onCancel?: () => void;
}) {
  const client = useQueryClient();
  const creating = characteristic === null;
  const hierarchy = useQuery({ queryKey: keys.hierarchy, queryFn: () => unwrap(api.getHierarchy()) });
  const [values, setValues] = useState<FormValues>(() => initialValues(characteristic, nodeId));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [saved, setSaved] = useState(false);

  const refresh = (id: number) => {
    for (const queryKey of [keys.characteristics, keys.characteristic(id), keys.chart(id), keys.due, keys.capability(id)]) {
      void client.invalidateQueries({ queryKey });
    }
  };

  const save = useMutation({
    mutationFn: (body: CharacteristicCreate) => {
      if (creating) return unwrap(api.createCharacteristic({ body }));
      const { limits: _limits, ...changes } = body;
      return unwrap(api.updateCharacteristic({ path: { characteristic_id: characteristic.id }, body: changes as CharacteristicUpdate }));
    },
    onSuccess: (c) => {
      refresh(c.id);
      setSaved(true);
      onSaved(c);
    },
    onError: (err) => {
      if (err instanceof ApiError && err.status === 422) setErrors(err.fieldErrors);
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.deleteCharacteristic({ path: { characteristic_id: characteristic!.id } })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.characteristics });
      void client.invalidateQueries({ queryKey: keys.due });
      setConfirmDelete(false);
      onDeleted?.();
    },
  });

  const set = <K extends keyof FormValues>(k: K, v: FormValues[K]) => {
    setSaved(false);
    setValues((old) => {
      const next = { ...old, [k]: v };
      if (k === 'chart_type' && v === 'imr') next.subgroup_size = '1';
      if (k === 'chart_type' && v !== 'imr' && old.subgroup_size === '1') next.subgroup_size = '5';
      return next;
    });
    if (errors[k]) {
      const rest = { ...errors };
      delete rest[k];
      setErrors(rest);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs = validate(values, creating);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    save.mutate(toBody(values));
  };

  const nodes = flattenNodes(hierarchy.data ?? []);
  const text = (k: keyof FormValues, label: string, props: Record<string, unknown> = {}) => (
    <Field label={label} htmlFor={`cf-${k}`} error={errors[k]}>
      <input id={`cf-${k}`} value={values[k]} onChange={(e) => set(k, e.target.value as never)} aria-invalid={errors[k] ? 'true' : undefined} {...props} />
    </Field>
  );
  const generalError = save.error && !(save.error instanceof ApiError && save.error.status === 422 && Object.keys(save.error.fieldErrors).length) ? save.error : null;

  return (
    <form className="characteristic-form" onSubmit={submit} noValidate aria-label={creating ? 'New characteristic' : 'Characteristic settings'}>
      <div className="form-grid">
        {text('name', 'Name', { autoFocus: creating, maxLength: 200 })}
        <Field label="Where (hierarchy)" htmlFor="cf-hierarchy_id" error={errors.hierarchy_id}>
          <select id="cf-hierarchy_id" value={values.hierarchy_id} onChange={(e) => set('hierarchy_id', e.target.value)}>
            <option value="">Choose…</option>
            {nodes.map(({ node, depth }) => (
              <option key={node.id} value={node.id}>
                {'\u00a0\u00a0'.repeat(depth)}
                {node.name}
              </option>
            ))}
          </select>
        </Field>
        <div className="span-2">{text('description', 'Description')}</div>
        <Field label="Chart type" htmlFor="cf-chart_type" error={errors.chart_type} hint={!creating ? 'Fixed once the characteristic has samples' : undefined}>
          <select id="cf-chart_type" value={values.chart_type} onChange={(e) => set('chart_type', e.target.value as ChartType)}>
            <option value="xbar_r">X̄–R (subgroups 2–25)</option>
            <option value="xbar_s">X̄–S (subgroups 2–25)</option>
            <option value="imr">I–MR (individuals)</option>
          </select>
        </Field>
        {text('subgroup_size', 'Subgroup size', { inputMode: 'numeric', disabled: values.chart_type === 'imr' })}
        {text('unit', 'Unit', { maxLength: 40, placeholder: 'mm' })}
        {text('decimal_places', 'Decimal places', { inputMode: 'numeric' })}
        {text('lsl', 'LSL (lower spec limit)', { inputMode: 'decimal' })}
        {text('usl', 'USL (upper spec limit)', { inputMode: 'decimal' })}
        {text('target', 'Target', { inputMode: 'decimal' })}
        {text('baseline_subgroups', 'Baseline subgroups', { inputMode: 'numeric', placeholder: 'default 25' })}
        <Field label="Source" htmlFor="cf-source" error={errors.source}>
          <select id="cf-source" value={values.source} onChange={(e) => set('source', e.target.value as Source)}>
            <option value="MANUAL">Manual entry</option>
            <option value="TAG">Tag (MQTT / Sparkplug B)</option>
          </select>
        </Field>
        {values.source === 'TAG'
          ? text('tag', 'Tag binding', { placeholder: 'sparkplug://group/node/device/metric or mqtt://topic#field' })
          : text('sampling_interval_minutes', 'Sampling interval (minutes)', { inputMode: 'numeric' })}
        {creating && (
          <>
            {text('center_line', 'Initial center line (optional)', { inputMode: 'decimal' })}
            {text('sigma', 'Initial process σ (optional)', { inputMode: 'decimal' })}
          </>
        )}
      </div>
      <ErrorText error={generalError} />
      {saved && !save.isPending && <p className="notice">Saved.</p>}
      <div className="form-actions">
        {!creating && (
          <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
            Delete…
          </button>
        )}
        <span style={{ flex: 1 }} />
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="primary" disabled={save.isPending}>
          {creating ? 'Create characteristic' : 'Save changes'}
        </button>
      </div>
      {confirmDelete && characteristic && (
        <ConfirmDialog
          title={`Delete ${characteristic.name}?`}
          message="A characteristic without samples can be deleted. One with samples keeps them as immutable records and cannot be."
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate()}
          onCancel={() => {
            remove.reset();
            setConfirmDelete(false);
          }}
        />
      )}
    </form>
  );
}
