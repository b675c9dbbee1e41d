// The limits in force above the chart, named as the chart type names them: UCL/CL/LCL and σ
// for X̄ and I charts; p̄ (n·p̄, c̄, ū) with the lines at the configured size for attribute
// charts; the steady-state lines, target and σ of an EWMA; ±H, target and σ of a CUSUM.
import type { CharacteristicSummary, LimitsOut } from '@/lib/api';
import { chartFamily, limitItems } from '@/lib/chartTypes';
import { fmt } from '@/lib/format';

export function LimitsStrip({
  characteristic: c,
  limits,
  decimals,
  points,
}: {
  characteristic: CharacteristicSummary;
  limits: LimitsOut | null | undefined;
  decimals: number;
  /** How many points are shown (for the baseline note). */
  points: number;
}) {
  const measured = chartFamily(c.chart_type) !== 'attribute';
  return (
    <dl className="limits-strip" data-testid="limits-strip">
      {limits ? (
        <>
          {limitItems(c.chart_type, limits, decimals).map((item) => (
            <div key={item.term} title={item.title}>
              <dt>{item.term}</dt>
              <dd data-testid={item.line ? `current-${item.line}` : undefined}>{item.value}</dd>
            </div>
          ))}
          <div>
            <dt>limits</dt>
            <dd>
              v{limits.version} · {limits.method}
            </dd>
          </div>
        </>
      ) : (
        <div className="baseline-note">
          Collecting a baseline: limits are calculated after {c.baseline_subgroups ?? 25} {measured ? 'subgroups' : 'samples'} ({points} so far).
        </div>
      )}
      {measured && (c.usl !== null || c.lsl !== null) && (
        <div>
          <dt>spec</dt>
          <dd>
            {fmt(c.lsl, decimals)} … {fmt(c.usl, decimals)}
          </dd>
        </div>
      )}
    </dl>
  );
}
