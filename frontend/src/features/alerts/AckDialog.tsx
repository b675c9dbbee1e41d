import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '@/lib/api';
import { keys } from '@/lib/queryKeys';
import { ErrorText, Field, Modal } from '@/lib/ui';

/** Acknowledge one or many violations with a reason code and an optional comment. */
export function AckDialog({
  violationIds,
  onClose,
  onDone,
}: {
  violationIds: number[];
  onClose: () => void;
  onDone?: () => void;
}) {
  const client = useQueryClient();
  const codes = useQuery({ queryKey: keys.reasonCodes, queryFn: () => unwrap(api.listReasonCodes()) });
  const [reason, setReason] = useState('');
  const [comment, setComment] = useState('');
  const [missing, setMissing] = useState(false);
  const many = violationIds.length > 1;

  const ack = useMutation({
    mutationFn: async () => {
      const body = { reason_code: reason, comment: comment.trim() || null };
      if (many) return unwrap(api.acknowledgeViolations({ body: { ...body, violation_ids: violationIds } }));
      return [await unwrap(api.acknowledgeViolation({ path: { violation_id: violationIds[0] }, body }))];
    },
    onSuccess: () => {
      for (const queryKey of [keys.violations, keys.summary, ['chart']]) void client.invalidateQueries({ queryKey });
      onDone?.();
      onClose();
    },
  });

  const submit = () => {
    if (!reason) {
      setMissing(true);
      return;
    }
    ack.mutate();
  };

  return (
    <Modal
      title={many ? `Acknowledge ${violationIds.length} violations` : 'Acknowledge violation'}
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={submit} disabled={ack.isPending} data-testid="ack-submit">
            Acknowledge
          </button>
        </>
      }
    >
      <Field label="Reason" htmlFor="ack-reason" error={missing && !reason ? 'Pick a reason.' : undefined}>
        <select id="ack-reason" value={reason} onChange={(e) => setReason(e.target.value)} autoFocus>
          <option value="">Choose a reason…</option>
          {(codes.data ?? []).map((c) => (
            <option key={c.code} value={c.code}>
              {c.label}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Comment (optional)" htmlFor="ack-comment">
        <textarea id="ack-comment" rows={3} value={comment} maxLength={2000} onChange={(e) => setComment(e.target.value)} />
      </Field>
      <ErrorText error={ack.error ?? codes.error} />
    </Modal>
  );
}
