// From the chart endpoint's points to the rows a Recharts chart draws: the statistic, the
// limits in force at each point (so limit changes are steps), zone bands, and rule marks.
import type { ChartData, ChartPoint, ChartViolation, LimitsOut } from '@/lib/api';

export type ChartKind = 'primary' | 'dispersion';
export type Severity = 'CRITICAL' | 'WARNING';

export interface PlotRow {
  i: number;
  sampleId: number;
  timestamp: string;
  n: number;
  excluded: boolean;
  value: number;
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

export const CHART_LABELS: Record<string, { primary: string; dispersion: string; name: string }> = {
  xbar_r: { primary: 'X̄', dispersion: 'R', name: 'X̄–R' },
  xbar_s: { primary: 'X̄', dispersion: 'S', name: 'X̄–S' },
  imr: { primary: 'I', dispersion: 'MR', name: 'I–MR' },
};

export function chartLabels(chartType: string) {
  return CHART_LABELS[chartType] ?? { primary: 'Value', dispersion: 'Dispersion', name: chartType };
}

export function worstSeverity(violations: ChartViolation[]): Severity | null {
  if (violations.some((v) => v.severity === 'CRITICAL')) return 'CRITICAL';
  return violations.length ? 'WARNING' : null;
}

export function toRows(points: ChartPoint[]): PlotRow[] {
  return points.map((p, i) => {
    const l = p.limits;
    const primary = p.violations.filter((v) => v.chart !== 'dispersion');
    const dispersion = p.violations.filter((v) => v.chart === 'dispersion');
    const row: PlotRow = {
      i,
      sampleId: p.sample_id,
      timestamp: p.timestamp,
      n: p.subgroup_size,
      excluded: p.excluded,
      value: p.value,
      dispersion: p.dispersion,
      limitsId: l?.id ?? null,
      violations: { primary, dispersion },
      severity: { primary: worstSeverity(primary), dispersion: worstSeverity(dispersion) },
    };
    if (l) {
      row.cl = l.center_line;
      row.ucl = l.ucl;
      row.lcl = l.lcl;
      row.zoneA = [l.lcl, l.ucl];
      row.zoneB = [l.zones['-2'], l.zones['+2']];
      row.zoneC = [l.zones['-1'], l.zones['+1']];
      row.dcl = l.dispersion_center;
      row.ducl = l.dispersion_ucl;
      row.dlcl = l.dispersion_lcl;
    }
    return row;
  });
}

/** Indices of the rows where a new limits version starts (drawn as a step and labelled). */
export function limitChanges(rows: PlotRow[]): number[] {
  const out: number[] = [];
  for (let k = 1; k < rows.length; k++) {
    if (rows[k].limitsId !== null && rows[k].limitsId !== rows[k - 1].limitsId) out.push(rows[k].i);
  }
  return out;
}

/** A y-range that shows the data, every line and the spec/preview lines, with a margin. */
export function yDomain(
  rows: PlotRow[],
  kind: ChartKind,
  extra: (number | null | undefined)[] = [],
): [number, number] {
  const values: number[] = [];
  for (const r of rows) {
    if (kind === 'primary') values.push(r.value, r.ucl ?? NaN, r.lcl ?? NaN);
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
  if (kind === 'dispersion') return [Math.max(0, lo - pad), hi + pad];
  return [lo - pad, hi + pad];
}

export function specLines(data: ChartData) {
  return { usl: data.spec.usl, lsl: data.spec.lsl, target: data.spec.target };
}

export function previewLines(preview: LimitsOut | null | undefined, kind: ChartKind) {
  if (!preview) return [];
  if (kind === 'primary') {
    return [
      { y: preview.ucl, label: 'UCL′' },
      { y: preview.center_line, label: 'CL′' },
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
