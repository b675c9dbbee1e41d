import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '@/lib/api';
import { fmtMinutes } from '@/lib/format';
import { keys } from '@/lib/queryKeys';
import { Empty, ErrorText } from '@/lib/ui';

const DUE_REFRESH_MS = 30_000;

/** The operator's to-do list: manual characteristics due or overdue, most overdue first. */
export function DueList({
  selectedId,
  onSelect,
  onEnter,
}: {
  selectedId: number | null;
  onSelect: (id: number) => void;
  onEnter: (id: number) => void;
}) {
  const due = useQuery({
    queryKey: keys.due,
    queryFn: () => unwrap(api.listDueCharacteristics()),
    refetchInterval: DUE_REFRESH_MS,
  });
  const items = due.data ?? [];
  return (
    <section className="panel due-panel" aria-label="Due for entry">
      <div className="panel-title">
        <h2>To do</h2>
        <span className="muted">{items.length ? `${items.length} due` : ''}</span>
      </div>
      <ErrorText error={due.error} />
      {!due.isLoading && items.length === 0 && <Empty>Nothing due. Well done.</Empty>}
      <ul className="due-list">
        {items.map((d) => {
          const overdue = d.overdue_minutes >= 1;
          return (
            <li key={d.id} className={`${overdue ? 'overdue' : 'due'}${d.id === selectedId ? ' selected' : ''}`} data-testid={`due-${d.id}`}>
              <button type="button" className="due-name" onClick={() => onSelect(d.id)}>
                <strong>{d.name}</strong>
                <small>
                  {d.last_sample_at === null ? 'never sampled' : overdue ? `overdue ${fmtMinutes(d.overdue_minutes)}` : 'due now'}
                  {' · every '}
                  {fmtMinutes(d.sampling_interval_minutes)}
                </small>
              </button>
              <button type="button" className="primary small" onClick={() => onEnter(d.id)} aria-label={`Enter sample for ${d.name}`}>
                Enter
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
