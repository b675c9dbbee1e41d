// What "capability" is for an attribute chart: its process average, the center line of its
// control limits (p̄, n·p̄, c̄ or ū), with the fraction (%, ppm) or the rate per unit it means.
import type { Characteristic } from '@/lib/api';
import { chartInfo } from '@/lib/chartTypes';
import { fmt } from '@/lib/format';

export interface AverageLine {
  term: string;
  value: string;
}

/** The process average of limits with this center line, at the characteristic's size. */
export function processAverage(chartType: string, center: number, size: number): AverageLine[] {
  const info = chartInfo(chartType);
  const percent = (p: number) => `${fmt(p * 100, 2)} %`;
  const ppm = (p: number) => `${Math.round(p * 1e6).toLocaleString('en')} ppm`;
  switch (chartType) {
    case 'p':
      return [
        { term: info.center, value: fmt(center, 4) },
        { term: 'nonconforming', value: `${percent(center)} · ${ppm(center)}` },
      ];
    case 'np': {
      const p = center / size;
      return [
        { term: info.center, value: `${fmt(center, 2)} of ${size} items` },
        { term: 'nonconforming', value: `${percent(p)} · ${ppm(p)}` },
      ];
    }
    case 'c':
      return [
        { term: info.center, value: `${fmt(center, 2)} per sample` },
        { term: 'per unit', value: `${fmt(center / size, 3)} (${size} unit${size === 1 ? '' : 's'} per sample)` },
      ];
    default:
      return [
        { term: info.center, value: `${fmt(center, 3)} per unit` },
        { term: 'per 100 units', value: fmt(center * 100, 1) },
      ];
  }
}

export function ProcessAverage({ characteristic: c }: { characteristic: Characteristic }) {
  const limits = c.current_limits;
  return (
    <div data-testid="process-average">
      {limits ? (
        <>
          <dl className="cap-stats">
            {processAverage(c.chart_type, limits.center_line, limits.subgroup_size).map((line) => (
              <div key={line.term}>
                <dt>{line.term}</dt>
                <dd>{line.value}</dd>
              </div>
            ))}
          </dl>
          <p className="muted">
            An attribute chart has no specification to compare a spread with: its capability is the process average, the center line of
            its limits (v{limits.version}, {limits.method}).
          </p>
        </>
      ) : (
        <p className="muted">The process average is the center line of the control limits; it is known once the baseline is complete.</p>
      )}
    </div>
  );
}
