// The characteristic form's values (as typed), their checks and the request body built from
// them. Errors are keyed like the server's field errors (`usl`, `tag`, `chart_params.lambda`).
import type { Characteristic, CharacteristicCreate } from '@/lib/api';
import { CHART_PARAMS, chartInfo, checkChartParam, paramSpecsOf, type ChartType } from '@/lib/chartTypes';
import { parseNumber } from '@/lib/format';

type Source = 'MANUAL' | 'TAG';

export interface FormValues {
  hierarchy_id: string;
  name: string;
  description: string;
  chart_type: ChartType;
  subgroup_size: string;
  /** EWMA λ and L, CUSUM k and h, as typed. */
  params: Record<string, string>;
  reset_after_signal: boolean;
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

/** The keys of the fields typed as text. */
export type TextKey = { [K in keyof FormValues]: FormValues[K] extends string ? K : never }[keyof FormValues];

const TAG_FORM = /^(sparkplug:\/\/[^/+#]+\/[^/+#]+\/.+|mqtt:\/\/[^#+]+(#.+)?)$/;

const s = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/** Every time-weighted parameter, from the characteristic or its default. */
function paramValues(stored: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of Object.values(CHART_PARAMS).flat()) out[spec.name] = s(stored?.[spec.name] ?? spec.default);
  return out;
}

export function initialValues(c: Characteristic | null, nodeId: number | null): FormValues {
  return {
    hierarchy_id: s(c?.hierarchy_id ?? nodeId),
    name: c?.name ?? '',
    description: c?.description ?? '',
    chart_type: c?.chart_type ?? 'xbar_r',
    subgroup_size: s(c?.subgroup_size ?? 5),
    params: paramValues(c?.chart_params),
    reset_after_signal: c?.chart_params?.reset_after_signal === true,
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

/** The values after choosing another chart type: a size that fits it (its default when the
 * size counts other things: 5 measurements, 50 items and 1 inspection unit are not alike). */
export function withChartType(v: FormValues, chartType: ChartType): FormValues {
  const from = chartInfo(v.chart_type);
  const to = chartInfo(chartType);
  const n = parseNumber(v.subgroup_size);
  const fits = n !== null && Number.isInteger(n) && n >= to.size.min && n <= to.size.max;
  const size = fits && from.size.unit === to.size.unit ? v.subgroup_size : String(to.size.default);
  return { ...v, chart_type: chartType, subgroup_size: size };
}

function sizeError(chartType: ChartType, n: number): string | null {
  const info = chartInfo(chartType);
  if (n >= info.size.min && n <= info.size.max) return null;
  if (chartType === 'imr') return 'An I-MR chart has subgroups of 1';
  if (info.family === 'variables') return 'X̄ charts need subgroups of 2 to 25';
  if (info.family === 'time_weighted') return `An ${info.name} chart has subgroups of 1 to 25`;
  return `From ${info.size.min} to ${info.size.max.toLocaleString('en')} ${info.size.unit}`;
}

/** Client-side checks; the errors are keyed like the server's (`usl`, `tag`, ...). */
export function validate(v: FormValues, creating: boolean): Record<string, string> {
  const e: Record<string, string> = {};
  const info = chartInfo(v.chart_type);
  const attribute = info.family === 'attribute';
  const num = (key: TextKey, opts: { int?: boolean; min?: number; max?: number; required?: boolean } = {}) => {
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
  const n = num('subgroup_size', { int: true, min: 1, required: true });
  const bad = n !== null ? sizeError(v.chart_type, n) : null;
  if (bad) e.subgroup_size = bad;
  for (const spec of paramSpecsOf(v.chart_type)) {
    const problem = checkChartParam(spec, v.params[spec.name] ?? '');
    if (problem) e[`chart_params.${spec.name}`] = problem;
  }
  num('decimal_places', { int: true, min: 0, max: 10, required: true });
  if (!attribute) {
    const usl = num('usl');
    const lsl = num('lsl');
    const target = num('target');
    if (usl !== null && lsl !== null && !(lsl < usl)) e.lsl = 'LSL must be below USL';
    if (target !== null && ((lsl !== null && target < lsl) || (usl !== null && target > usl))) e.target = 'Target must lie within LSL…USL';
  }
  if (v.source === 'TAG') {
    if (!v.tag.trim()) e.tag = 'A tag characteristic needs a tag';
    else if (!TAG_FORM.test(v.tag.trim())) e.tag = 'sparkplug://group/node[/device]/metric or mqtt://topic[#field]';
  }
  num('sampling_interval_minutes', { int: true, min: 1, max: 525600 });
  num('baseline_subgroups', { int: true, min: 2, max: 10000 });
  if (creating && attribute) {
    const cl = num('center_line', { min: 0 });
    if (cl !== null && v.chart_type === 'p' && !(cl > 0 && cl < 1)) e.center_line = 'p̄ is a fraction between 0 and 1';
    else if (cl !== null && cl <= 0) e.center_line = 'Above 0';
  } else if (creating) {
    const cl = num('center_line');
    const sigma = num('sigma');
    if (cl !== null && sigma === null && !e.sigma) e.sigma = 'Give σ with the center line';
    if (sigma !== null && cl === null && !e.center_line) e.center_line = 'Give the center line with σ';
    if (sigma !== null && sigma <= 0) e.sigma = 'σ must be above 0';
  }
  return e;
}

/** The chart parameters to send: EWMA {lambda, L}, CUSUM {k, h, reset_after_signal}, else {}. */
export function chartParams(v: FormValues): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  for (const spec of paramSpecsOf(v.chart_type)) out[spec.name] = parseNumber(v.params[spec.name] ?? '') ?? spec.default;
  if (v.chart_type === 'cusum') out.reset_after_signal = v.reset_after_signal;
  return out;
}

export function toBody(v: FormValues): CharacteristicCreate {
  const n = (t: string) => (t.trim() ? parseNumber(t) : null);
  const attribute = chartInfo(v.chart_type).family === 'attribute';
  const body: CharacteristicCreate = {
    hierarchy_id: Number(v.hierarchy_id),
    name: v.name.trim(),
    description: v.description.trim() || null,
    // counts have no unit, and no specification limits to compare a value with
    unit: attribute ? null : v.unit.trim() || null,
    decimal_places: Number(v.decimal_places),
    chart_type: v.chart_type,
    subgroup_size: Number(v.subgroup_size),
    chart_params: chartParams(v),
    usl: attribute ? null : n(v.usl),
    lsl: attribute ? null : n(v.lsl),
    target: attribute ? null : n(v.target),
    source: v.source,
    tag: v.source === 'TAG' ? v.tag.trim() : null,
    sampling_interval_minutes: v.source === 'MANUAL' ? (n(v.sampling_interval_minutes) ?? null) : null,
    baseline_subgroups: n(v.baseline_subgroups),
  };
  const cl = n(v.center_line);
  const sigma = n(v.sigma);
  if (attribute && cl !== null) body.limits = { center_line: cl };
  else if (cl !== null && sigma !== null) body.limits = { center_line: cl, sigma };
  return body;
}

/** The server's field errors on the form's keys (`limits.sigma` is the σ field). */
export function formErrors(fieldErrors: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, msg] of Object.entries(fieldErrors)) {
    const key = path === 'limits' ? 'center_line' : path.replace(/^limits\./, '');
    out[key] = out[key] ? `${out[key]}; ${msg}` : msg;
  }
  return out;
}
