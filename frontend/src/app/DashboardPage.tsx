import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { CapabilityPanel } from '@/features/capability';
import { ChartPanel } from '@/features/charts';
import { CharacteristicTree, DueList } from '@/features/dashboard';
import { EntryModal } from '@/features/entry';
import { useCan } from '@/lib/roles';
import { Empty } from '@/lib/ui';

/** The operator's dashboard: to-do list and plant tree on the left, the selected
 * characteristic's charts and capability on the right. `?c=ID&sample=ID` points at a sample. */
export function DashboardPage() {
  const [params, setParams] = useSearchParams();
  const selected = params.get('c') ? Number(params.get('c')) : null;
  const highlight = params.get('sample') ? Number(params.get('sample')) : null;
  const [entryFor, setEntryFor] = useState<number | null>(null);
  const canEnter = useCan('operator');

  const select = (id: number) => setParams(id === selected ? params : { c: String(id) });
  const enter = (id: number) => {
    if (id !== selected) setParams({ c: String(id) });
    setEntryFor(id);
  };

  return (
    <div className="dashboard">
      <aside className="sidebar">
        <DueList selectedId={selected} onSelect={select} onEnter={enter} />
        <CharacteristicTree selectedId={selected} onSelect={select} />
      </aside>
      <main className="main-column">
        {selected === null ? (
          <section className="panel placeholder-panel">
            <Empty>Pick a characteristic from the to-do list or the plant tree to see its control charts.</Empty>
          </section>
        ) : (
          <>
            <ChartPanel
              key={selected}
              characteristicId={selected}
              highlightSampleId={highlight}
              actions={(c) =>
                canEnter &&
                c.source === 'MANUAL' && (
                  <button type="button" className="primary" onClick={() => setEntryFor(selected)}>
                    Enter sample
                  </button>
                )
              }
            />
            <CapabilityPanel key={`cap-${selected}`} characteristicId={selected} />
          </>
        )}
      </main>
      {entryFor !== null && <EntryModal characteristicId={entryFor} onClose={() => setEntryFor(null)} />}
    </div>
  );
}
