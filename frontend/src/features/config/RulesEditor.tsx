// The rules of one characteristic: every installed rule (GET /rules), per chart, with its
// switch, severity and parameters (K values) next to their defaults. Saving sends only what
// differs from the plugin's defaults, so the rest keeps following them.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, ApiError, unwrap, type Characteristic, type RuleInfo, type RuleSetting } from '@/lib/api';
import { chartInfo, chartsOf, ruleFamily, type Chart } from '@/lib/chartTypes';
import { parseNumber } from '@/lib/format';
import { keys } from '@/lib/queryKeys';
import { ErrorText } from '@/lib/ui';

type Severity = 'WARNING' | 'CRITICAL';

interface ParamSpec {
  name: string;
  title: string;
  description?: string;
  type: 'integer' | 'number';
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
  default: number;
}

export interface RuleRow {
  chart: Chart;
  key: string;
  info: RuleInfo | undefined;
  name: string;
  ruleId: number;
  enabled: boolean;
  severity: Severity;
  params: Record<string, string>;
}

export function paramSpecs(info: RuleInfo | undefined): ParamSpec[] {
  const props = (info?.params_schema as { properties?: Record<string, Record<string, unknown>> } | undefined)?.properties ?? {};
  return Object.entries(props).map(([name, p]) => ({
    name,
    title: String(p.title ?? name),
    description: p.description as string | undefined,
    type: p.type === 'integer' ? 'integer' : 'number',
    minimum: p.minimum as number | undefined,
    exclusiveMinimum: p.exclusiveMinimum as number | undefined,
    maximum: p.maximum as number | undefined,
    exclusiveMaximum: p.exclusiveMaximum as number | undefined,
    default: Number(info?.defaults?.[name] ?? p.default),
  }));
}

export function checkParam(spec: ParamSpec, text: string): string | null {
  const n = parseNumber(text);
  if (n === null) return 'a number';
  if (spec.type === 'integer' && !Number.isInteger(n)) return 'a whole number';
  if (spec.minimum !== undefined && n < spec.minimum) return `≥ ${spec.minimum}`;
  if (spec.exclusiveMinimum !== undefined && n <= spec.exclusiveMinimum) return `> ${spec.exclusiveMinimum}`;
  if (spec.maximum !== undefined && n > spec.maximum) return `≤ ${spec.maximum}`;
  if (spec.exclusiveMaximum !== undefined && n >= spec.exclusiveMaximum) return `< ${spec.exclusiveMaximum}`;
  return null;
}

export function rowsOf(characteristic: Characteristic, installed: RuleInfo[]): RuleRow[] {
  const byKey = new Map(installed.map((r) => [r.key, r]));
  return characteristic.rules.map((r) => ({
    chart: r.chart as Chart,
    key: r.rule_key,
    info: byKey.get(r.rule_key),
    name: r.name,
    ruleId: r.rule_id,
    enabled: r.enabled,
    severity: r.severity as Severity,
    params: Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, String(v)])),
  }));
}

/** The settings to store: only the rows (and parameters) that differ from the defaults
 * (which depend on the chart type: Nelson 5-8 are off by default on attribute charts). */
export function settingsOf(rows: RuleRow[], chartType: string): RuleSetting[] {
  const out: RuleSetting[] = [];
  for (const row of rows) {
    const info = row.info;
    const defaultOn = info ? info.enabled_by_default_on.includes(ruleFamily(chartType, row.chart)) : true;
    const params: Record<string, number> = {};
    for (const spec of paramSpecs(info)) {
      const n = parseNumber(row.params[spec.name] ?? '');
      if (n !== null && n !== spec.default) params[spec.name] = n;
    }
    const severityChanged = info ? row.severity !== info.default_severity : false;
    if (row.enabled !== defaultOn || severityChanged || Object.keys(params).length) {
      out.push({ rule_key: row.key, chart: row.chart, enabled: row.enabled, severity: severityChanged ? row.severity : null, params });
    }
  }
  return out;
}

export function RulesEditor({ characteristic }: { characteristic: Characteristic }) {
  const client = useQueryClient();
  const installed = useQuery({ queryKey: keys.rules, queryFn: () => unwrap(api.listRules()) });
  const initial = useMemo(() => rowsOf(characteristic, installed.data ?? []), [characteristic, installed.data]);
  const [edited, setEdited] = useState<RuleRow[] | null>(null);
  const [saved, setSaved] = useState(false);
  const rows = edited ?? initial;
  const [sent, setSent] = useState<RuleSetting[]>([]);

  const problems = useMemo(() => {
    const out: Record<string, string> = {};
    rows.forEach((row) => {
      for (const spec of paramSpecs(row.info)) {
        const p = checkParam(spec, row.params[spec.name] ?? '');
        if (p) out[`${row.chart}/${row.key}/${spec.name}`] = `${spec.title} must be ${p}`;
      }
    });
    return out;
  }, [rows]);

  const save = useMutation({
    mutationFn: (settings: RuleSetting[]) =>
      unwrap(api.updateCharacteristic({ path: { characteristic_id: characteristic.id }, body: { rules: settings } })),
    onSuccess: (c) => {
      client.setQueryData(keys.characteristic(c.id), c);
      void client.invalidateQueries({ queryKey: keys.characteristics });
      setEdited(null);
      setSaved(true);
    },
  });

  // Server field errors (rules.3.params.k) mapped back to the rows that were sent.
  const serverProblems: Record<string, string> = {};
  if (save.error instanceof ApiError) {
    for (const [path, msg] of Object.entries(save.error.fieldErrors)) {
      const m = /^rules\.(\d+)\.(?:params\.)?(\w+)/.exec(path);
      const s = m ? sent[Number(m[1])] : undefined;
      if (s && m) serverProblems[`${s.chart}/${s.rule_key}/${m[2]}`] = msg;
    }
  }

  const update = (i: number, change: Partial<RuleRow>) => {
    setSaved(false);
    setEdited(rows.map((r, k) => (k === i ? { ...r, ...change } : r)));
  };

  const charts = chartsOf(characteristic.chart_type);
  const label = chartInfo(characteristic.chart_type).chartNames;
  const listed = new Set(rows.map((r) => r.key));
  const notApplicable = (installed.data ?? []).filter((r) => !listed.has(r.key));

  return (
    <div className="rules-editor">
      <ErrorText error={installed.error} />
      {charts.map((chart) => (
        <div key={chart}>
          <h3>{label[chart] ?? chart}</h3>
          <table className="data rules-table">
            <thead>
              <tr>
                <th>On</th>
                <th>Rule</th>
                <th>Severity</th>
                <th>Parameters</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) =>
                row.chart !== chart ? null : (
                  <tr key={`${row.chart}/${row.key}`} data-testid={`rule-${row.chart}-${row.key}`}>
                    <td>
                      <input
                        type="checkbox"
                        checked={row.enabled}
                        aria-label={`${row.name} on the ${chart} chart`}
                        onChange={(e) => update(i, { enabled: e.target.checked })}
                      />
                    </td>
                    <td title={row.info?.description}>
                      <strong>{row.ruleId ? `${row.ruleId}. ` : ''}{row.name}</strong>
                      <br />
                      <small className="muted">{row.key}{row.info?.description ? ` · ${row.info.description}` : ''}</small>
                    </td>
                    <td>
                      <select
                        value={row.severity}
                        aria-label={`Severity of ${row.name} (${chart})`}
                        onChange={(e) => update(i, { severity: e.target.value as Severity })}
                      >
                        <option value="WARNING">Warning</option>
                        <option value="CRITICAL">Critical</option>
                      </select>
                    </td>
                    <td>
                      {paramSpecs(row.info).map((spec) => {
                        const id = `${row.chart}/${row.key}/${spec.name}`;
                        const problem = problems[id] ?? serverProblems[id];
                        const value = row.params[spec.name] ?? String(spec.default);
                        const changed = parseNumber(value) !== spec.default;
                        return (
                          <span key={spec.name} className={`param${changed ? ' changed' : ''}`} title={spec.description}>
                            <label htmlFor={`param-${id}`}>{spec.title}</label>
                            <input
                              id={`param-${id}`}
                              type="number"
                              step={spec.type === 'integer' ? 1 : 'any'}
                              value={value}
                              aria-invalid={problem ? 'true' : undefined}
                              onChange={(e) => update(i, { params: { ...row.params, [spec.name]: e.target.value } })}
                            />
                            <span className="default">default {spec.default}</span>
                            {problem && <small className="field-error">{problem}</small>}
                          </span>
                        );
                      })}
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      ))}
      {notApplicable.length > 0 && (
        <p className="muted">
          Installed but not for these charts: {notApplicable.map((r) => `${r.name} (${r.key})`).join(', ')}.
        </p>
      )}
      <ErrorText error={save.error && !Object.keys(serverProblems).length ? save.error : null} />
      {saved && <p className="notice">Rules saved; they apply from the next sample.</p>}
      <div className="form-actions">
        <button type="button" disabled={!edited} onClick={() => setEdited(null)}>
          Undo changes
        </button>
        <button
          type="button"
          className="primary"
          disabled={!edited || Object.keys(problems).length > 0 || save.isPending}
          onClick={() => {
            const settings = settingsOf(rows, characteristic.chart_type);
            setSent(settings);
            save.mutate(settings);
          }}
        >
          Save rules
        </button>
      </div>
    </div>
  );
}
