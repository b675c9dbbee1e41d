// One control chart (the primary chart: X̄, I, p, np, c, u, EWMA or CUSUM; or the dispersion
// R/S/MR chart). Both charts of a characteristic share the x-axis (sample sequence) and the
// y-axis width, so they align. A CUSUM chart draws its upper sum up and its lower sum down;
// EWMA and CUSUM points from before their limits existed are drawn as plain grey values.
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
  type TooltipProps,
} from 'recharts';
import { fmt, fmtAxisTime, fmtTime } from '@/lib/format';
import type { LimitsOut } from '@/lib/api';
import { chartFamily } from '@/lib/chartTypes';
import { limitChanges, pointSummary, previewLines, ruleText, yDomain, type ChartKind, type PlotRow } from './chartModel';

export const Y_AXIS_WIDTH = 76;
const RIGHT_MARGIN = 56;

export const COLORS = {
  line: '#1f4e79',
  point: '#1f4e79',
  lower: '#5e35b1',
  raw: '#8a949f',
  critical: '#c62828',
  warning: '#d98200',
  cl: '#2e7d32',
  limit: '#b23b3b',
  spec: '#6a3d9a',
  preview: '#0077c8',
  zoneA: '#fbeaea',
  zoneB: '#fdf6e0',
  zoneC: '#edf6ee',
};

export interface ControlChartProps {
  rows: PlotRow[];
  kind: ChartKind;
  /** The characteristic's chart type (what the primary chart plots); default I–MR. */
  chartType?: string;
  label: string;
  decimals: number;
  unit?: string | null;
  spec?: { usl?: number | null; lsl?: number | null; target?: number | null };
  preview?: LimitsOut | null;
  highlightSampleId?: number | null;
  selectedSampleId?: number | null;
  onPointClick?: (row: PlotRow) => void;
  width?: number;
  height: number;
  syncId?: string;
}

/** The primary chart's line, a CUSUM's lower sum, or raw values before limits. */
type Series = 'main' | 'lower' | 'raw';

interface DotProps {
  cx?: number | null;
  cy?: number | null;
  payload?: PlotRow;
  index?: number;
}

function PointMark({
  cx,
  cy,
  row,
  kind,
  series,
  highlighted,
  selected,
  onClick,
}: {
  cx: number;
  cy: number;
  row: PlotRow;
  kind: ChartKind;
  series: Series;
  highlighted: boolean;
  selected: boolean;
  onClick?: (row: PlotRow) => void;
}) {
  // On a CUSUM chart the marks go on the sum that passed its limit.
  const marked = series === 'raw' || (series === 'lower') === (row.signal === 'lower');
  const violations = marked ? row.violations[kind] : [];
  const severity = marked ? row.severity[kind] : null;
  const open = violations.filter((v) => !v.acknowledged).length;
  // acknowledged marks stay, a little quieter
  const quiet = severity !== null && open === 0;
  const base = series === 'raw' ? COLORS.raw : series === 'lower' ? COLORS.lower : COLORS.point;
  const color = severity === 'CRITICAL' ? COLORS.critical : severity === 'WARNING' ? COLORS.warning : base;
  const r = severity ? 5.5 : 3.2;
  const title = [
    `#${row.sampleId} · ${fmtTime(row.timestamp)}`,
    series === 'raw' ? 'value before limits existed' : '',
    ...violations.map((v) => `${ruleText(v)}${v.acknowledged ? ', acknowledged' : ''}`),
    row.excluded ? 'excluded' : '',
  ]
    .filter(Boolean)
    .join('\n');
  return (
    <g
      className="point-mark"
      data-testid={series === 'lower' ? `point-${kind}-lower` : `point-${kind}`}
      data-series={series}
      data-sample-id={row.sampleId}
      data-severity={severity ?? 'none'}
      data-excluded={row.excluded ? 'true' : 'false'}
      data-rules={violations.map((v) => v.rule_key).join(' ')}
      data-unacknowledged={open}
      opacity={quiet ? 0.55 : 1}
      onClick={onClick ? () => onClick(row) : undefined}
      style={onClick ? { cursor: 'pointer' } : undefined}
    >
      <title>{title}</title>
      {(highlighted || selected) && (
        <circle
          cx={cx}
          cy={cy}
          r={r + 5}
          fill="none"
          stroke={highlighted ? COLORS.preview : '#333'}
          strokeWidth={2}
          strokeDasharray={highlighted ? '3 2' : undefined}
          data-testid={highlighted ? 'highlighted-point' : 'selected-point'}
        />
      )}
      {severity === 'CRITICAL' && !row.excluded ? (
        <rect x={cx - r} y={cy - r} width={2 * r} height={2 * r} transform={`rotate(45 ${cx} ${cy})`} fill={color} stroke="#fff" strokeWidth={1} />
      ) : (
        <circle
          cx={cx}
          cy={cy}
          r={r}
          fill={row.excluded ? '#fff' : color}
          stroke={color}
          strokeWidth={row.excluded ? 1.8 : 1}
        />
      )}
      {/* a larger transparent target makes points easy to hit on a touch screen */}
      <circle cx={cx} cy={cy} r={9} fill="transparent" />
    </g>
  );
}

function ChartTooltip({
  active,
  payload,
  kind,
  chartType,
  decimals,
  unit,
}: TooltipProps<number, string> & { kind: ChartKind; chartType: string; decimals: number; unit?: string | null }) {
  if (!active || !payload?.length) return null;
  const row = payload[0].payload as PlotRow;
  const u = unit ? ` ${unit}` : '';
  const lines = kind === 'primary' ? [row.ucl, row.cl, row.lcl] : [row.ducl, row.dcl, row.dlcl];
  const names = chartType === 'cusum' ? ['+H', 'CL', '−H'] : ['UCL', 'CL', 'LCL'];
  return (
    <div className="chart-tooltip">
      <div className="tt-head">
        Sample #{row.sampleId} · {fmtTime(row.timestamp)}
      </div>
      {kind === 'primary' ? (
        <div>
          <strong>{pointSummary(row, chartType, decimals)}</strong>
          {chartFamily(chartType) === 'attribute' ? '' : u}
        </div>
      ) : (
        <div>
          <strong>{fmt(row.dispersion, decimals)}</strong>
          {u} {row.n > 1 && <span className="muted">(n = {row.n})</span>}
        </div>
      )}
      {lines[1] !== undefined && (
        <div className="muted">
          {names.map((name, k) => `${name} ${fmt(lines[k], decimals)}`).join(' · ')}
        </div>
      )}
      {row.violations[kind].map((v) => (
        <div key={v.id} className={`tt-rule severity-text-${v.severity.toLowerCase()}`}>
          ⚠ {ruleText(v)}
          {v.acknowledged ? ' · acknowledged' : ''}
        </div>
      ))}
      {row.excluded && <div className="muted">Excluded from rules and limits</div>}
    </div>
  );
}

export function ControlChart({
  rows,
  kind,
  chartType = 'imr',
  label,
  decimals,
  unit,
  spec,
  preview,
  highlightSampleId,
  selectedSampleId,
  onPointClick,
  width,
  height,
  syncId,
}: ControlChartProps) {
  const primary = kind === 'primary';
  const previews = previewLines(preview, kind, chartType);
  const specs = primary
    ? [
        { y: spec?.usl, label: 'USL' },
        { y: spec?.lsl, label: 'LSL' },
      ].filter((s): s is { y: number; label: string } => s.y !== null && s.y !== undefined)
    : [];
  const floorAtZero = !primary || chartFamily(chartType) === 'attribute';
  const domain = yDomain(rows, kind, [...specs.map((s) => s.y), ...previews.map((p) => p.y)], floorAtZero);
  const changes = limitChanges(rows);
  const dataKey = primary ? 'y' : 'dispersion';
  const hasLower = primary && rows.some((r) => r.lower !== null);
  const hasRaw = primary && rows.some((r) => r.raw !== null);
  const [lo, hi] = [rows.length ? rows[0].i : 0, rows.length ? rows[rows.length - 1].i : 1];
  const tickCount = Math.max(2, Math.floor((width ?? 800) / 150));
  const step = Math.max(1, Math.ceil(rows.length / tickCount));
  const ticks = rows.filter((_, k) => k % step === 0).map((r) => r.i);
  const span = rows.length > 1 ? Date.parse(rows[rows.length - 1].timestamp) - Date.parse(rows[0].timestamp) : 0;

  const renderDot = (series: Series) => (props: DotProps) => {
    const { cx, cy, payload, index } = props;
    const key = `dot-${kind}-${series}-${payload?.sampleId ?? index}`;
    if (cx === null || cx === undefined || cy === null || cy === undefined || !payload) return <g key={key} />;
    return (
      <PointMark
        key={key}
        cx={cx}
        cy={cy}
        row={payload}
        kind={kind}
        series={series}
        highlighted={payload.sampleId === highlightSampleId}
        selected={payload.sampleId === selectedSampleId}
        onClick={onPointClick}
      />
    );
  };

  return (
    <div className={`control-chart chart-${kind}`} data-testid={`chart-${kind}`}>
      <ComposedChart
        width={width ?? 800}
        height={height}
        data={rows}
        syncId={syncId}
        margin={{ top: 10, right: RIGHT_MARGIN, bottom: 0, left: 0 }}
      >
        <CartesianGrid stroke="#e6e9ee" vertical={false} />
        <XAxis
          dataKey="i"
          type="number"
          domain={[lo - 0.5, hi + 0.5]}
          allowDecimals={false}
          ticks={ticks}
          interval={0}
          tickFormatter={(i: number) => (rows[i] ? fmtAxisTime(rows[i].timestamp, span) : '')}
          tick={{ fontSize: 11, fill: '#5b6572' }}
          height={primary ? 22 : 26}
        />
        <YAxis
          width={Y_AXIS_WIDTH}
          domain={domain}
          tickFormatter={(v: number) => fmt(v, decimals)}
          tick={{ fontSize: 11, fill: '#5b6572' }}
          label={{ value: label, angle: -90, position: 'insideLeft', offset: 8, fontSize: 13, fill: '#222' }}
        />
        {primary && (
          <>
            <Area type="step" dataKey="zoneA" fill={COLORS.zoneA} fillOpacity={1} stroke="none" isAnimationActive={false} activeDot={false} />
            <Area type="step" dataKey="zoneB" fill={COLORS.zoneB} fillOpacity={1} stroke="none" isAnimationActive={false} activeDot={false} />
            <Area type="step" dataKey="zoneC" fill={COLORS.zoneC} fillOpacity={1} stroke="none" isAnimationActive={false} activeDot={false} />
          </>
        )}
        {changes.map((i) => (
          <ReferenceLine key={`chg-${i}`} x={i - 0.5} stroke="#9aa3ad" strokeDasharray="2 3" />
        ))}
        <Line type="step" dataKey={primary ? 'ucl' : 'ducl'} stroke={COLORS.limit} strokeWidth={1.5} dot={false} activeDot={false} isAnimationActive={false} name="UCL" />
        <Line type="step" dataKey={primary ? 'cl' : 'dcl'} stroke={COLORS.cl} strokeWidth={1.5} dot={false} activeDot={false} isAnimationActive={false} name="CL" />
        <Line type="step" dataKey={primary ? 'lcl' : 'dlcl'} stroke={COLORS.limit} strokeWidth={1.5} dot={false} activeDot={false} isAnimationActive={false} name="LCL" />
        {specs.map((s) => (
          <ReferenceLine
            key={s.label}
            y={s.y}
            stroke={COLORS.spec}
            strokeDasharray="6 4"
            strokeWidth={1.5}
            label={{ value: s.label, position: 'right', fontSize: 11, fill: COLORS.spec }}
          />
        ))}
        {previews.map((p) => (
          <ReferenceLine
            key={p.label}
            y={p.y}
            stroke={COLORS.preview}
            strokeDasharray="8 3"
            strokeWidth={2}
            label={{ value: p.label, position: 'right', fontSize: 11, fill: COLORS.preview }}
            className="preview-line"
          />
        ))}
        <Tooltip
          isAnimationActive={false}
          content={<ChartTooltip kind={kind} chartType={chartType} decimals={decimals} unit={unit} />}
          cursor={{ stroke: '#9aa3ad', strokeDasharray: '3 3' }}
        />
        {hasRaw && (
          <Line type="linear" dataKey="raw" stroke="none" dot={renderDot('raw')} activeDot={false} isAnimationActive={false} name="values before limits" />
        )}
        {hasLower && (
          <Line
            type="linear"
            dataKey="lower"
            stroke={COLORS.lower}
            strokeWidth={1.4}
            dot={renderDot('lower')}
            activeDot={false}
            isAnimationActive={false}
            name="−C⁻"
          />
        )}
        <Line
          type="linear"
          dataKey={dataKey}
          stroke={COLORS.line}
          strokeWidth={1.4}
          dot={renderDot('main')}
          activeDot={false}
          isAnimationActive={false}
          connectNulls
          name={hasLower ? 'C⁺' : label}
        />
      </ComposedChart>
    </div>
  );
}
