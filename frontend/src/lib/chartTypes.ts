// What the app knows about each chart type, shared by the chart, configuration, entry and
// capability features: its family, the names of its charts and center line, what its size
// means, and the parameters of the time-weighted charts (the server's contract, see
// openspc/stats/chart_types.py).
import type { Characteristic, LimitsOut } from './api';
import { fmt, parseNumber } from './format';

export type ChartType = Characteristic['chart_type'];
/** variables: measurements, an X̄/I chart over an R/S/MR chart; attribute: a count and a
 * size, one chart; time_weighted: measurements, one chart of a statistic with memory. */
export type ChartFamily = 'variables' | 'attribute' | 'time_weighted';
/** The rule families of the server (`RuleInfo.applies_to`). */
export type RuleFamily = 'location' | 'dispersion' | 'attribute' | 'time_weighted';
export type Chart = 'primary' | 'dispersion';

export interface SizeInfo {
  /** The label of the characteristic's size field. */
  label: string;
  /** What one unit of the size is, for sentences ("50 items"). */
  unit: string;
  min: number;
  max: number;
  default: number;
  /** np and c: every sample has the configured size. */
  fixed: boolean;
  hint: string;
}

export interface ChartTypeInfo {
  family: ChartFamily;
  /** Short name: "X̄–R", "p", "EWMA". */
  name: string;
  /** One line for the chart type choice. */
  choice: string;
  /** What the chart is for, in a sentence. */
  explanation: string;
  /** The primary chart's statistic (its axis label). */
  primary: string;
  /** The dispersion chart's statistic; null when there is none. */
  dispersion: string | null;
  /** Names of the charts, for the rules. */
  chartNames: { primary: string; dispersion: string | null };
  /** The symbol of the center line (p̄, c̄, target, ...). */
  center: string;
  /** The center line as a user sets it by hand. */
  centerLabel: string;
  size: SizeInfo;
}

const MAX_SAMPLE_SIZE = 1_000_000;
const subgroups = (min: number, max: number, hint: string): SizeInfo => ({
  label: 'Subgroup size',
  unit: 'measurements',
  min,
  max,
  default: min === 1 ? 1 : 5,
  fixed: true,
  hint,
});
const xbar = subgroups(2, 25, 'Measurements per subgroup, 2 to 25');
const individual = { ...subgroups(1, 25, '1: individual values; up to 25 measurements averaged per point'), label: 'Subgroup size (1 = individual values)' };
const items = (fixed: boolean): SizeInfo => ({
  label: fixed ? 'Sample size (items, every sample)' : 'Sample size (items)',
  unit: 'items',
  min: 1,
  max: MAX_SAMPLE_SIZE,
  default: 50,
  fixed,
  hint: fixed ? 'Every sample inspects this many items' : 'Items inspected when a sample does not say',
});
const units = (fixed: boolean): SizeInfo => ({
  label: fixed ? 'Inspection units (every sample)' : 'Inspection units per sample',
  unit: 'inspection units',
  min: 1,
  max: MAX_SAMPLE_SIZE,
  default: 1,
  fixed,
  hint: fixed ? 'Every sample inspects this many units' : 'Units inspected when a sample does not say',
});

export const CHART_TYPES: Record<ChartType, ChartTypeInfo> = {
  xbar_r: {
    family: 'variables',
    name: 'X̄–R',
    choice: 'X̄–R: averages and ranges',
    explanation: 'Subgroups of 2–25 measurements; the subgroup range estimates σ. The usual choice up to about 8 per subgroup.',
    primary: 'X̄',
    dispersion: 'R',
    chartNames: { primary: 'Averages (X̄) chart', dispersion: 'Range (R) chart' },
    center: 'CL',
    centerLabel: 'Center line',
    size: xbar,
  },
  xbar_s: {
    family: 'variables',
    name: 'X̄–S',
    choice: 'X̄–S: averages and standard deviations',
    explanation: 'Subgroups of 2–25 measurements; the subgroup standard deviation estimates σ. Better for larger subgroups.',
    primary: 'X̄',
    dispersion: 'S',
    chartNames: { primary: 'Averages (X̄) chart', dispersion: 'Standard deviation (S) chart' },
    center: 'CL',
    centerLabel: 'Center line',
    size: xbar,
  },
  imr: {
    family: 'variables',
    name: 'I–MR',
    choice: 'I–MR: individual values',
    explanation: 'One measurement per sample, with the moving range of consecutive values.',
    primary: 'I',
    dispersion: 'MR',
    chartNames: { primary: 'Individuals (I) chart', dispersion: 'Moving range (MR) chart' },
    center: 'CL',
    centerLabel: 'Center line',
    size: { ...subgroups(1, 1, 'An I–MR chart plots single values'), unit: 'measurement' },
  },
  p: {
    family: 'attribute',
    name: 'p',
    choice: 'p: fraction nonconforming',
    explanation: 'Counts nonconforming items in samples whose size may vary; plots the fraction, with limits that follow each sample’s size.',
    primary: 'p',
    dispersion: null,
    chartNames: { primary: 'Fraction nonconforming (p) chart', dispersion: null },
    center: 'p̄',
    centerLabel: 'p̄ (average fraction nonconforming)',
    size: items(false),
  },
  np: {
    family: 'attribute',
    name: 'np',
    choice: 'np: number nonconforming',
    explanation: 'Counts nonconforming items in samples of one fixed size; plots the count.',
    primary: 'np',
    dispersion: null,
    chartNames: { primary: 'Number nonconforming (np) chart', dispersion: null },
    center: 'n·p̄',
    centerLabel: 'n·p̄ (average number nonconforming per sample)',
    size: items(true),
  },
  c: {
    family: 'attribute',
    name: 'c',
    choice: 'c: nonconformities per sample',
    explanation: 'Counts nonconformities (defects) in samples of a fixed number of inspection units; plots the count.',
    primary: 'c',
    dispersion: null,
    chartNames: { primary: 'Nonconformities (c) chart', dispersion: null },
    center: 'c̄',
    centerLabel: 'c̄ (average nonconformities per sample)',
    size: units(true),
  },
  u: {
    family: 'attribute',
    name: 'u',
    choice: 'u: nonconformities per unit',
    explanation: 'Counts nonconformities in samples whose number of inspection units may vary; plots defects per unit.',
    primary: 'u',
    dispersion: null,
    chartNames: { primary: 'Nonconformities per unit (u) chart', dispersion: null },
    center: 'ū',
    centerLabel: 'ū (average nonconformities per unit)',
    size: units(false),
  },
  ewma: {
    family: 'time_weighted',
    name: 'EWMA',
    choice: 'EWMA: exponentially weighted moving average',
    explanation: 'Averages every point with the history (weight λ for the newest), so it catches small, lasting shifts of the mean. Only points beyond its limits signal.',
    primary: 'EWMA',
    dispersion: null,
    chartNames: { primary: 'EWMA chart', dispersion: null },
    center: 'target',
    centerLabel: 'Target (center line)',
    size: individual,
  },
  cusum: {
    family: 'time_weighted',
    name: 'CUSUM',
    choice: 'CUSUM: cumulative sums',
    explanation: 'Adds up the deviations from the target beyond a slack k·σ, upwards (C⁺) and downwards (C⁻); signals when a sum passes H = h·σ. For small, lasting shifts.',
    primary: 'CUSUM',
    dispersion: null,
    chartNames: { primary: 'CUSUM chart', dispersion: null },
    center: 'target',
    centerLabel: 'Target (center line)',
    size: individual,
  },
};

export const CHART_FAMILIES: { family: ChartFamily; label: string }[] = [
  { family: 'variables', label: 'Variables (measurements)' },
  { family: 'attribute', label: 'Attributes (counts)' },
  { family: 'time_weighted', label: 'Time-weighted (small shifts)' },
];

export function chartInfo(chartType: string): ChartTypeInfo {
  return CHART_TYPES[chartType as ChartType] ?? CHART_TYPES.imr;
}

export function chartFamily(chartType: string): ChartFamily {
  return chartInfo(chartType).family;
}

export const isAttribute = (chartType: string) => chartFamily(chartType) === 'attribute';
export const isTimeWeighted = (chartType: string) => chartFamily(chartType) === 'time_weighted';

/** The charts a chart type draws: only variables charts have a dispersion chart. */
export function chartsOf(chartType: string): Chart[] {
  return chartInfo(chartType).dispersion ? ['primary', 'dispersion'] : ['primary'];
}

/** The rule family of one chart of a chart type (what `enabled_by_default_on` names). */
export function ruleFamily(chartType: string, chart: Chart): RuleFamily {
  if (chart === 'dispersion') return 'dispersion';
  const family = chartFamily(chartType);
  return family === 'variables' ? 'location' : family;
}

/** What a count is for an attribute chart: nonconforming items (p, np) or nonconformities. */
export function countLabel(chartType: string): string {
  return chartType === 'p' || chartType === 'np' ? 'Nonconforming items' : 'Nonconformities';
}

// ── EWMA and CUSUM parameters ────────────────────────────────────────────────────────────

export interface ParamSpec {
  name: string;
  label: string;
  hint: string;
  default: number;
  min: number;
  /** The minimum itself is not allowed. */
  minExclusive: boolean;
  max: number;
}

export const CHART_PARAMS: Partial<Record<ChartType, ParamSpec[]>> = {
  ewma: [
    { name: 'lambda', label: 'λ (weight of the newest point)', hint: '0.05–0.25 finds small shifts; 1 is a Shewhart chart', default: 0.2, min: 0, minExclusive: true, max: 1 },
    { name: 'L', label: 'L (limit width, σ of the EWMA)', hint: 'usually 2.7–3', default: 3, min: 0, minExclusive: true, max: 10 },
  ],
  cusum: [
    { name: 'k', label: 'k (slack K = k·σ)', hint: 'half the shift to detect, in σ; usually 0.5', default: 0.5, min: 0, minExclusive: false, max: 10 },
    { name: 'h', label: 'h (decision interval H = h·σ)', hint: 'usually 4 or 5', default: 5, min: 0, minExclusive: true, max: 50 },
  ],
};

export function paramSpecsOf(chartType: string): ParamSpec[] {
  return CHART_PARAMS[chartType as ChartType] ?? [];
}

/** What is wrong with a parameter as typed (null: fine). */
export function checkChartParam(spec: ParamSpec, text: string): string | null {
  if (!text.trim()) return 'Required';
  const n = parseNumber(text);
  if (n === null) return 'Not a number';
  if (spec.minExclusive ? n <= spec.min : n < spec.min) return spec.minExclusive ? `Above ${spec.min}` : `At least ${spec.min}`;
  if (n > spec.max) return `At most ${spec.max}`;
  return null;
}

/** A short description of a characteristic's chart: "p · n = 50 items", "EWMA · λ = 0.2 · L = 3". */
export function chartSummary(c: Pick<Characteristic, 'chart_type' | 'subgroup_size' | 'chart_params'>): string {
  const info = chartInfo(c.chart_type);
  const n = c.subgroup_size;
  const params = paramSpecsOf(c.chart_type).map((s) => `${s.label.split(' ')[0]} = ${String(c.chart_params?.[s.name] ?? s.default)}`);
  if (info.family === 'attribute') {
    const unit = n === 1 ? info.size.unit.replace(/s$/, '') : info.size.unit;
    return `${info.name} chart · n = ${n} ${unit}${info.size.fixed ? '' : ' (default)'}`;
  }
  if (info.family === 'time_weighted') {
    return [info.name, ...params, `n = ${n}`].join(' · ');
  }
  return `${info.name} · n = ${n}`;
}

// ── Limits ───────────────────────────────────────────────────────────────────────────────

/** The names of a limits version's lines: a CUSUM's are ±H around its target; attribute
 * charts have no σ of their own to show (it follows from the center line). */
export function lineNames(chartType: string): { ucl: string; center: string; lcl: string; sigma: boolean } {
  const info = chartInfo(chartType);
  if (chartType === 'cusum') return { ucl: '+H', center: info.center, lcl: '−H', sigma: true };
  return { ucl: 'UCL', center: info.center, lcl: 'LCL', sigma: info.family !== 'attribute' };
}

export interface LimitItem {
  term: string;
  value: string;
  /** The lines' test ids: current-ucl, current-cl, current-lcl. */
  line?: 'ucl' | 'cl' | 'lcl';
  title?: string;
}

/** A limits version as labelled values, in the chart type's terms. */
export function limitItems(chartType: string, l: LimitsOut, decimals: number): LimitItem[] {
  const info = chartInfo(chartType);
  const names = lineNames(chartType);
  const title =
    chartType === 'ewma'
      ? 'steady state: the limits are narrower over the first points'
      : info.family === 'attribute' && !info.size.fixed
        ? `at n = ${l.subgroup_size}; each point's limits follow its sample size`
        : undefined;
  const items: LimitItem[] = [
    { term: names.ucl, value: fmt(l.ucl, decimals), line: 'ucl', title },
    { term: names.center, value: fmt(l.center_line, decimals), line: 'cl' },
    { term: names.lcl, value: fmt(l.lcl, decimals), line: 'lcl', title },
  ];
  if (names.sigma) items.push({ term: 'σ', value: fmt(l.sigma, decimals + 1) });
  return items;
}
