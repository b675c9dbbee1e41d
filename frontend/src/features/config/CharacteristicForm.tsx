// Create or edit a characteristic: chart type (with its size and EWMA/CUSUM parameters),
// specification limits, source and tag binding, sampling interval, unit and decimals; checked
// here, then by the server (whose field errors land on the fields).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, ApiError, unwrap, type Characteristic, type CharacteristicCreate, type CharacteristicUpdate } from '@/lib/api';
import { chartInfo, paramSpecsOf, type ChartType } from '@/lib/chartTypes';
import { keys } from '@/lib/queryKeys';
import { ConfirmDialog, ErrorText, Field } from '@/lib/ui';
import { ChartTypeFields } from './ChartTypeFields';
import { formErrors, initialValues, toBody, validate, withChartType, type FormValues, type TextKey } from './characteristicValues';
import { flattenNodes } from './HierarchyEditor';

type Source = 'MANUAL' | 'TAG';

/** The fields the form shows for these values (errors on other keys are shown for the form). */
function shownFields(v: FormValues, creating: boolean): Set<string> {
  const attribute = chartInfo(v.chart_type).family === 'attribute';
  return new Set([
    'name', 'hierarchy_id', 'description', 'chart_type', 'subgroup_size', 'decimal_places', 'baseline_subgroups', 'source',
    v.source === 'TAG' ? 'tag' : 'sampling_interval_minutes',
    ...(attribute ? [] : ['unit', 'usl', 'lsl', 'target']),
    ...(creating ? (attribute ? ['center_line'] : ['center_line', 'sigma']) : []),
    ...paramSpecsOf(v.chart_type).map((s) => `chart_params.${s.name}`),
    ...(v.chart_type === 'cusum' ? ['chart_params.reset_after_signal'] : []),
  ]);
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
      if (err instanceof ApiError && err.status === 422) setErrors(formErrors(err.fieldErrors));
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

  const clearError = (key: string) => {
    if (errors[key]) {
      const rest = { ...errors };
      delete rest[key];
      setErrors(rest);
    }
  };
  const change = (next: (old: FormValues) => FormValues, errorKey: string) => {
    setSaved(false);
    setValues(next);
    clearError(errorKey);
  };
  const set = <K extends keyof FormValues>(k: K, v: FormValues[K]) => change((old) => ({ ...old, [k]: v }), k);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs = validate(values, creating);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    save.mutate(toBody(values));
  };

  const nodes = flattenNodes(hierarchy.data ?? []);
  const text = (k: TextKey, label: string, props: Record<string, unknown> = {}) => (
    <Field label={label} htmlFor={`cf-${k}`} error={errors[k]}>
      <input id={`cf-${k}`} value={values[k]} onChange={(e) => set(k, e.target.value as never)} aria-invalid={errors[k] ? 'true' : undefined} {...props} />
    </Field>
  );
  const generalError = save.error && !(save.error instanceof ApiError && save.error.status === 422 && Object.keys(save.error.fieldErrors).length) ? save.error : null;
  const shown = shownFields(values, creating);
  const elsewhere = Object.entries(errors).filter(([k]) => !shown.has(k));
  const info = chartInfo(values.chart_type);
  const attribute = info.family === 'attribute';

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
        <ChartTypeFields
          values={values}
          errors={errors}
          creating={creating}
          onChartType={(t: ChartType) => change((old) => withChartType(old, t), 'chart_type')}
          onChange={(delta, errorKey) => change((old) => ({ ...old, ...delta }), errorKey)}
        />
        {!attribute && text('unit', 'Unit', { maxLength: 40, placeholder: 'mm' })}
        {text('decimal_places', 'Decimal places', { inputMode: 'numeric' })}
        {!attribute && (
          <>
            {text('lsl', 'LSL (lower spec limit)', { inputMode: 'decimal' })}
            {text('usl', 'USL (upper spec limit)', { inputMode: 'decimal' })}
            {text('target', 'Target', { inputMode: 'decimal' })}
          </>
        )}
        {text('baseline_subgroups', attribute ? 'Baseline samples' : 'Baseline subgroups', { inputMode: 'numeric', placeholder: 'default 25' })}
        <Field label="Source" htmlFor="cf-source" error={errors.source}>
          <select id="cf-source" value={values.source} onChange={(e) => set('source', e.target.value as Source)}>
            <option value="MANUAL">Manual entry</option>
            <option value="TAG">Tag (MQTT / Sparkplug B)</option>
          </select>
        </Field>
        {values.source === 'TAG'
          ? text('tag', 'Tag binding', { placeholder: 'sparkplug://group/node/device/metric or mqtt://topic#field' })
          : text('sampling_interval_minutes', 'Sampling interval (minutes)', { inputMode: 'numeric' })}
        {creating &&
          (attribute ? (
            text('center_line', `Initial ${info.center} (optional)`, { inputMode: 'decimal' })
          ) : (
            <>
              {text('center_line', info.family === 'time_weighted' ? 'Initial target (optional)' : 'Initial center line (optional)', { inputMode: 'decimal' })}
              {text('sigma', 'Initial process σ (optional)', { inputMode: 'decimal' })}
            </>
          ))}
      </div>
      <ErrorText error={generalError} />
      {elsewhere.length > 0 && (
        <p className="error-text" role="alert">
          {elsewhere.map(([k, msg]) => `${k || 'request'}: ${msg}`).join('; ')}
        </p>
      )}
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
