// The legend under a characteristic's charts: the lines and marks its chart type draws.
import { chartFamily } from '@/lib/chartTypes';
import type { PlotRow } from './chartModel';

export function ChartLegend({ chartType, rows, spec, preview }: { chartType: string; rows: PlotRow[]; spec: boolean; preview: boolean }) {
  const family = chartFamily(chartType);
  return (
    <div className="chart-legend" aria-hidden="true" data-testid="chart-legend">
      {chartType === 'ewma' && <span className="lg lg-statistic">EWMA</span>}
      {chartType === 'cusum' && (
        <>
          <span className="lg lg-statistic">C⁺</span>
          <span className="lg lg-lower">−C⁻</span>
        </>
      )}
      <span className="lg lg-cl">{chartType === 'cusum' ? 'CL (0)' : family === 'time_weighted' ? 'target' : 'CL'}</span>
      <span className="lg lg-limit">{chartType === 'cusum' ? '±H' : 'UCL / LCL'}</span>
      {rows.some((r) => r.zoneA) && <span className="lg lg-zones">zones ±1σ ±2σ</span>}
      {rows.some((r) => r.raw !== null) && <span className="lg lg-raw">values before limits</span>}
      {spec && <span className="lg lg-spec">USL / LSL</span>}
      <span className="lg lg-critical">critical</span>
      <span className="lg lg-warning">warning</span>
      <span className="lg lg-excluded">excluded</span>
      {preview && <span className="lg lg-preview">preview</span>}
    </div>
  );
}
