// The chart part of the characteristic form: the chart type (grouped by family, with what it
// is for), the size as that chart type means it, and the EWMA/CUSUM parameters.
import { CHART_FAMILIES, CHART_TYPES, chartInfo, paramSpecsOf, type ChartType } from '@/lib/chartTypes';
import { Field } from '@/lib/ui';
import type { FormValues } from './characteristicValues';

export function ChartTypeFields({
  values,
  errors,
  creating,
  onChartType,
  onChange,
}: {
  values: FormValues;
  errors: Record<string, string>;
  creating: boolean;
  onChartType: (chartType: ChartType) => void;
  /** A change of the size, a parameter or the CUSUM reset switch (with its error key). */
  onChange: (change: Partial<FormValues>, errorKey: string) => void;
}) {
  const info = chartInfo(values.chart_type);
  const specs = paramSpecsOf(values.chart_type);
  return (
    <>
      <Field
        label="Chart type"
        htmlFor="cf-chart_type"
        error={errors.chart_type}
        hint={
          <span data-testid="chart-type-explanation">
            {info.explanation}
            {!creating && ' Fixed once the characteristic has samples.'}
          </span>
        }
      >
        <select id="cf-chart_type" value={values.chart_type} onChange={(e) => onChartType(e.target.value as ChartType)}>
          {CHART_FAMILIES.map(({ family, label }) => (
            <optgroup key={family} label={label}>
              {(Object.entries(CHART_TYPES) as [ChartType, (typeof CHART_TYPES)[ChartType]][])
                .filter(([, t]) => t.family === family)
                .map(([type, t]) => (
                  <option key={type} value={type}>
                    {t.choice}
                  </option>
                ))}
            </optgroup>
          ))}
        </select>
      </Field>
      <Field label={info.size.label} htmlFor="cf-subgroup_size" error={errors.subgroup_size} hint={info.size.hint}>
        <input
          id="cf-subgroup_size"
          inputMode="numeric"
          value={values.subgroup_size}
          disabled={info.size.min === info.size.max}
          aria-invalid={errors.subgroup_size ? 'true' : undefined}
          onChange={(e) => onChange({ subgroup_size: e.target.value }, 'subgroup_size')}
        />
      </Field>
      {specs.map((spec) => {
        const key = `chart_params.${spec.name}`;
        return (
          <Field key={key} label={spec.label} htmlFor={`cf-param-${spec.name}`} error={errors[key]} hint={`${spec.hint}; default ${spec.default}`}>
            <input
              id={`cf-param-${spec.name}`}
              inputMode="decimal"
              value={values.params[spec.name] ?? ''}
              aria-invalid={errors[key] ? 'true' : undefined}
              onChange={(e) => onChange({ params: { ...values.params, [spec.name]: e.target.value } }, key)}
            />
          </Field>
        );
      })}
      {values.chart_type === 'cusum' && (
        <Field label="After a signal" htmlFor="cf-param-reset" error={errors['chart_params.reset_after_signal']}>
          <label className="inline-label">
            <input
              id="cf-param-reset"
              type="checkbox"
              checked={values.reset_after_signal}
              onChange={(e) => onChange({ reset_after_signal: e.target.checked }, 'chart_params.reset_after_signal')}
            />{' '}
            restart both sums at 0
          </label>
        </Field>
      )}
    </>
  );
}
