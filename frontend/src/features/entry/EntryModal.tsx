// Manual data entry: the measurements of a subgroup, or for an attribute chart a count (and
// the sample size where it may vary). Everything is checked before it is sent; the server's
// field errors land on the field; the violations the sample caused are shown right after.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Characteristic, type SampleIn, type SampleOut, type SampleResult } from '@/lib/api';
import { chartInfo } from '@/lib/chartTypes';
import { fmt } from '@/lib/format';
import { keys } from '@/lib/queryKeys';
import { ErrorText, Modal, SeverityBadge } from '@/lib/ui';
import { CountForm } from './CountForm';
import { ENTRY_FORM_ID } from './entryForm';
import { MeasurementForm } from './MeasurementForm';

export { validateMeasurements, serverErrors } from './MeasurementForm';

export interface EntryModalProps {
  characteristicId: number;
  onClose: () => void;
  /** Called after a sample was stored (e.g. to point at it). */
  onSubmitted?: (result: SampleResult) => void;
}

/** What was saved, in the chart's terms: "p = 0.040 (2 in 50 items)", "value 10.2, EWMA 10.1". */
export function savedSummary(sample: SampleOut, c: Characteristic): { name: string; value: string; more: string } {
  const info = chartInfo(c.chart_type);
  const d = (v: number | null | undefined) => fmt(v, c.decimal_places);
  if (info.family === 'attribute') {
    const size = sample.size ?? sample.subgroup_size;
    const unit = size === 1 ? info.size.unit.replace(/s$/, '') : info.size.unit;
    return { name: `${info.primary} =`, value: d(sample.value), more: ` (${sample.count ?? '—'} in ${size} ${unit})` };
  }
  const unit = c.unit ? ` ${c.unit}` : '';
  const name = sample.subgroup_size > 1 ? 'mean' : 'value';
  if (sample.statistic === null || sample.statistic === undefined) return { name, value: d(sample.value), more: unit };
  if (c.chart_type === 'cusum') return { name, value: d(sample.value), more: `${unit}; C⁺ = ${d(sample.statistic)}, C⁻ = ${d(sample.statistic_lower)}` };
  return { name, value: d(sample.value), more: `${unit}; EWMA = ${d(sample.statistic)}` };
}

export function EntryModal({ characteristicId, onClose, onSubmitted }: EntryModalProps) {
  const client = useQueryClient();
  const characteristic = useQuery({
    queryKey: keys.characteristic(characteristicId),
    queryFn: () => unwrap(api.getCharacteristic({ path: { characteristic_id: characteristicId } })),
  });
  const c = characteristic.data;
  const [result, setResult] = useState<SampleResult | null>(null);
  // a new form (empty, first field focused) for each sample
  const [round, setRound] = useState(0);

  const submit = useMutation({
    mutationFn: (body: SampleIn) => unwrap(api.submitSample({ path: { characteristic_id: characteristicId }, body })),
    onSuccess: (res) => {
      setResult(res);
      for (const key of [keys.chart(characteristicId), keys.due, keys.violations, keys.summary, keys.capability(characteristicId)]) {
        void client.invalidateQueries({ queryKey: key });
      }
      onSubmitted?.(res);
    },
  });

  const again = () => {
    setResult(null);
    setRound(round + 1);
    submit.reset();
  };

  const title = c ? `Enter sample: ${c.name}` : 'Enter sample';

  if (result) {
    const v = result.violations;
    const saved = c ? savedSummary(result.sample, c) : null;
    return (
      <Modal
        title={title}
        onClose={onClose}
        footer={
          <>
            <button type="button" onClick={again}>
              Enter another
            </button>
            <button type="button" className="primary" autoFocus onClick={onClose}>
              Close
            </button>
          </>
        }
      >
        <div className="entry-result" data-testid="entry-result">
          <p>
            Sample #{result.sample.id} saved{saved && (
              <>
                : {saved.name} <strong>{saved.value}</strong>
                {saved.more}
              </>
            )}
            .
          </p>
          {v.length === 0 ? (
            <p className="ok-text" data-testid="entry-no-violations">No rule was broken.</p>
          ) : (
            <div role="alert" className="entry-violations" data-testid="entry-violations">
              <p>
                <strong>
                  This sample broke {v.length} rule{v.length > 1 ? 's' : ''}:
                </strong>
              </p>
              <ul>
                {v.map((x) => (
                  <li key={x.id}>
                    <SeverityBadge severity={x.severity} /> {x.rule_id ? `Rule ${x.rule_id}: ` : ''}
                    {x.rule_name}
                    {x.chart === 'dispersion' ? ' (dispersion chart)' : ''}
                  </li>
                ))}
              </ul>
              <p className="muted">Tell your supervisor or acknowledge it on the Alerts page with a reason.</p>
            </div>
          )}
        </div>
      </Modal>
    );
  }

  const Form = c && chartInfo(c.chart_type).family === 'attribute' ? CountForm : MeasurementForm;
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={ENTRY_FORM_ID} className="primary" disabled={submit.isPending || !c}>
            {submit.isPending ? 'Saving…' : 'Submit'}
          </button>
        </>
      }
    >
      <ErrorText error={characteristic.error} />
      {c && <Form key={round} characteristic={c} onSubmit={(body) => submit.mutateAsync(body)} />}
    </Modal>
  );
}
