// From the chart endpoint's points to the rows a Recharts chart draws: the statistic, the
// limits in force at each point (so limit changes, and limits that follow a sample's size or
// an EWMA's start, are steps), zone bands, and rule marks. What the primary chart plots
// depends on the chart type: the mean or value (X̄, I), the fraction or count (p, np, c, u),
// the EWMA, or the two CUSUM sums (C⁺ up, −C⁻ down).
import type { ChartPoint, ChartViolation, LimitsOut } from '@/lib/api';
import { chartInfo } from '@/lib/chartTypes';
import { fmt } from '@/lib/format';

export type ChartKind = 'primary' | 'dispersion';
export type Severity = 'CRITICAL' | 'WARNING';

export interface PlotRow {
  i: number;
  sampleId: number;
  timestamp: string;
  n: number;
  excluded: boolean;
  /** The sample's value: mean, individual value, or p, np, c, u. */
  value: number;
  /** What the primary chart's line plots: the value, or the EWMA / C⁺ (null: nothing). */
  y: number | null;
  /** EWMA and CUSUM points before limits existed (no statistic yet): the raw value. */
  raw: number | null;
  /** CUSUM: the lower sum drawn downwards, −C⁻. */
  lower: number | null;
  /** CUSUM: the sum that carries the point's rule marks. */
  signal: 'upper' | 'lower';
  count: number | null;
  size: number | null;
  statistic: number | null;
  statisticLower: number | null;
  dispersion: number | null;
  limitsId: number | null;
  cl?: number;
  ucl?: number;
  lcl?: number;
  zoneA?: [number, number];
  zoneB?: [number, number];
  zoneC?: [number, number];
  dcl?: number;
  ducl?: number;
  dlcl?: number;
  violations: Record<ChartKind, ChartViolation[]>;
  severity: Record<ChartKind, Severity | null>;
}

export function chartLabels(chartType: string) {
  const info = chartInfo(chartType);
  return { primary: info.primary, dispersion: info.dispersion ?? '', name: info.name };
}

export function worstSeverity(violations: ChartViolation[]): Severity | null {
  if (violations.some((v) => v.severity === 'CRITICAL')) return 'CRITICAL';
  return violations.length ? 'WARNING' : null;
}

const orUndefined = (v: number | null | undefined) => (v === null ? undefined : v);

export function toRows(points: ChartPoint[], chartType = 'imr'): PlotRow[] {
  const family = chartInfo(chartType).family;
  const timeWeighted = family === 'time_weighted';
  // Before limits a time-weighted chart has no statistic: show the raw values then. An EWMA
  // is on the scale of the values, so they can share the chart with it; CUSUM sums are not.
  const anyStatistic = points.some((p) => p.statistic !== null && p.statistic !== undefined);
  const showRaw = timeWeighted && (chartType === 'ewma' || !anyStatistic);
  return points.map((p, i) => {
    const l = p.limits;
    const primary = p.violations.filter((v) => v.chart !== 'dispersion');
    const dispersion = p.violations.filter((v) => v.chart === 'dispersion');
    const statistic = p.statistic ?? null;
    const statisticLower = p.statistic_lower ?? null;
    const lower = chartType === 'cusum' && statistic !== null && statisticLower !== null ? 0 - statisticLower : null;
    const row: PlotRow = {
      i,
      sampleId: p.sample_id,
      timestamp: p.timestamp,
      n: p.subgroup_size,
      excluded: p.excluded,
      value: p.value,
      y: timeWeighted ? statistic : p.value,
      raw: showRaw && statistic === null ? p.value : null,
      lower,
      signal: 'upper',
      count: p.count ?? null,
      size: p.size ?? null,
      statistic,
      statisticLower,
      dispersion: p.dispersion,
      limitsId: l?.id ?? null,
      violations: { primary, dispersion },
      severity: { primary: worstSeverity(primary), dispersion: worstSeverity(dispersion) },
    };
    if (l) {
      row.cl = l.center_line;
      row.ucl = l.ucl;
      row.lcl = l.lcl;
      if (l.zones) {
        row.zoneA = [l.lcl, l.ucl];
        row.zoneB = [l.zones['-2'], l.zones['+2']];
        row.zoneC = [l.zones['-1'], l.zones['+1']];
      }
      row.dcl = orUndefined(l.dispersion_center);
      row.ducl = orUndefined(l.dispersion_ucl);
      row.dlcl = orUndefined(l.dispersion_lcl);
      if (lower !== null && lower < l.lcl && !(statistic !== null && statistic > l.ucl)) row.signal = 'lower';
    }
    return row;
  });
}

/** One line about a point for its tooltip and details: "p = 0.400 (20 of 50 items)". */
export function pointSummary(row: PlotRow, chartType: string, decimals: number): string {
  const info = chartInfo(chartType);
  const d = (v: number | null | undefined) => fmt(v, decimals);
  const of = row.n > 1 ? ` (n = ${row.n})` : '';
  const valueName = row.n > 1 ? 'x̄' : 'x';
  switch (info.family) {
    case 'attribute': {
      const size = row.size ?? row.n;
      const unit = size === 1 ? info.size.unit.replace(/s$/, '') : info.size.unit;
      return `${info.primary} = ${d(row.value)} (${row.count ?? '—'} in ${fmt(size, Number.isInteger(size) ? 0 : 2)} ${unit})`;
    }
    case 'time_weighted':
      if (row.statistic === null) return `${valueName} = ${d(row.value)}${of}, before limits`;
      if (chartType === 'cusum') return `C⁺ = ${d(row.statistic)} · C⁻ = ${d(row.statisticLower)} (${valueName} = ${d(row.value)}${of})`;
      return `EWMA = ${d(row.statistic)} (${valueName} = ${d(row.value)}${of})`;
    default:
      return `${info.primary} = ${d(row.value)}${of}${row.dispersion !== null && info.dispersion ? ` · ${info.dispersion} = ${d(row.dispersion)}` : ''}`;
  }
}

/** Indices of the rows where a new limits version starts (drawn as a step and labelled). */
export function limitChanges(rows: PlotRow[]): number[] {
  const out: number[] = [];
  for (let k = 1; k < rows.length; k++) {
    if (rows[k].limitsId !== null && rows[k].limitsId !== rows[k - 1].limitsId) out.push(rows[k].i);
  }
  return out;
}

/** A y-range that shows the data, every line and the spec/preview lines, with a margin.
 * Counts, fractions and dispersions do not go below 0 (`floorAtZero`). */
export function yDomain(
  rows: PlotRow[],
  kind: ChartKind,
  extra: (number | null | undefined)[] = [],
  floorAtZero = kind === 'dispersion',
): [number, number] {
  const values: number[] = [];
  for (const r of rows) {
    if (kind === 'primary') values.push(r.y ?? NaN, r.raw ?? NaN, r.lower ?? NaN, r.ucl ?? NaN, r.lcl ?? NaN);
    else values.push(r.dispersion ?? NaN, r.ducl ?? NaN, r.dlcl ?? NaN);
  }
  for (const e of extra) if (e !== null && e !== undefined) values.push(e);
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (hi === lo) {
    const d = Math.abs(hi) * 0.05 || 1;
    lo -= d;
    hi += d;
  }
  const pad = (hi - lo) * 0.08;
  if (floorAtZero) return [Math.max(0, lo - pad), hi + pad];
  return [lo - pad, hi + pad];
}

/** A recalculation preview's lines. A CUSUM's center is 0 (its sums), not the target. */
export function previewLines(preview: LimitsOut | null | undefined, kind: ChartKind, chartType = 'imr') {
  if (!preview) return [];
  if (kind === 'primary') {
    return [
      { y: preview.ucl, label: 'UCL′' },
      { y: chartType === 'cusum' ? 0 : preview.center_line, label: 'CL′' },
      { y: preview.lcl, label: 'LCL′' },
    ];
  }
  return [
    { y: preview.dispersion_ucl, label: 'UCL′' },
    { y: preview.dispersion_center, label: 'CL′' },
    { y: preview.dispersion_lcl, label: 'LCL′' },
  ].filter((l): l is { y: number; label: string } => l.y !== null && l.y !== undefined);
}

export function ruleText(v: Pick<ChartViolation, 'rule_id' | 'rule_key' | 'rule_name' | 'severity'>): string {
  const id = v.rule_id ? `Rule ${v.rule_id}` : v.rule_key;
  return `${id}: ${v.rule_name} (${v.severity.toLowerCase()})`;
}
