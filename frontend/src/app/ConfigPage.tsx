import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { ChartPanel } from '@/features/charts';
import { CharacteristicForm, HierarchyEditor, LimitsPanel, ReasonCodesEditor, RulesEditor, UsersEditor } from '@/features/config';
import { api, unwrap, type LimitsOut } from '@/lib/api';
import { keys } from '@/lib/queryKeys';
import { useCan } from '@/lib/roles';
import { Empty, ErrorText } from '@/lib/ui';

type Tab = 'settings' | 'rules' | 'limits';
const TABS: { id: Tab; label: string }[] = [
  { id: 'settings', label: 'Settings' },
  { id: 'rules', label: 'Rules' },
  { id: 'limits', label: 'Limits & samples' },
];

/** Engineer configuration: the plant (hierarchy and characteristics), reason codes, and for
 * admins the users. */
export function ConfigPage() {
  const [params, setParams] = useSearchParams();
  const isAdmin = useCan('admin');
  const section = params.get('section') ?? 'plant';
  const link = (id: string, label: string) => (
    <button type="button" role="tab" aria-selected={section === id} onClick={() => setParams(id === 'plant' ? {} : { section: id })}>
      {label}
    </button>
  );
  return (
    <div className="config-page">
      <div className="tabs subnav" role="tablist" aria-label="Configuration">
        {link('plant', 'Plant & characteristics')}
        {link('codes', 'Reason codes')}
        {isAdmin && link('users', 'Users')}
      </div>
      {section === 'codes' ? (
        <div className="page">
          <ReasonCodesEditor />
        </div>
      ) : section === 'users' && isAdmin ? (
        <div className="page">
          <UsersEditor />
        </div>
      ) : (
        <PlantConfig />
      )}
    </div>
  );
}

/** The hierarchy editor on the left; the selected characteristic's settings, rules and
 * limits (with its chart, for previews and exclusions) on the right. */
function PlantConfig() {
  const [params, setParams] = useSearchParams();
  const characteristicId = params.get('c') ? Number(params.get('c')) : null;
  const nodeId = params.get('node') ? Number(params.get('node')) : null;
  const creatingIn = params.get('new') ? Number(params.get('new')) : null;
  const tab = (params.get('tab') as Tab) ?? 'settings';
  const [preview, setPreview] = useState<LimitsOut | null>(null);
  const [selectedSample, setSelectedSample] = useState<number | null>(null);

  const characteristic = useQuery({
    queryKey: characteristicId ? keys.characteristic(characteristicId) : ['none'],
    queryFn: () => unwrap(api.getCharacteristic({ path: { characteristic_id: characteristicId! } })),
    enabled: characteristicId !== null,
  });

  const go = (next: Record<string, string>) => {
    setPreview(null);
    setSelectedSample(null);
    setParams(next);
  };
  const c = characteristic.data;

  return (
    <div className="config">
      <HierarchyEditor
        selectedNodeId={nodeId}
        selectedCharacteristicId={characteristicId}
        onSelectNode={(id) => go(id === null ? {} : { node: String(id) })}
        onSelectCharacteristic={(id) => go({ c: String(id), tab })}
        onNewCharacteristic={(id) => go({ node: String(id), new: String(id) })}
      />
      <div className="config-main">
        {creatingIn !== null ? (
          <section className="panel">
            <div className="panel-title">
              <h2>New characteristic</h2>
            </div>
            <CharacteristicForm
              characteristic={null}
              nodeId={creatingIn}
              onSaved={(created) => go({ c: String(created.id), tab: 'settings' })}
              onCancel={() => go({ node: String(creatingIn) })}
            />
          </section>
        ) : characteristicId === null ? (
          <section className="panel placeholder-panel">
            <Empty>Pick a node to add, rename, move or delete it, or a characteristic to configure it.</Empty>
          </section>
        ) : (
          <>
            <section className="panel">
              <div className="panel-title">
                <h2>{c?.name ?? '…'}</h2>
              </div>
              <ErrorText error={characteristic.error} />
              <div className="tabs" role="tablist">
                {TABS.map((t) => (
                  <button
                    key={t.id}
                    type="button"
                    role="tab"
                    aria-selected={tab === t.id}
                    onClick={() => {
                      setPreview(null);
                      setParams({ c: String(characteristicId), tab: t.id });
                    }}
                  >
                    {t.label}
                  </button>
                ))}
              </div>
              {c && tab === 'settings' && (
                <CharacteristicForm key={c.id} characteristic={c} nodeId={c.hierarchy_id} onSaved={() => undefined} onDeleted={() => go({ node: String(c.hierarchy_id) })} />
              )}
              {c && tab === 'rules' && <RulesEditor key={c.id} characteristic={c} />}
            </section>
            {c && tab === 'limits' && (
              <>
                <ChartPanel characteristicId={c.id} preview={preview} onPointSelect={(row) => setSelectedSample(row?.sampleId ?? null)} height={200} />
                <LimitsPanel characteristic={c} selectedSampleId={selectedSample} onPreview={setPreview} />
              </>
            )}
          </>
        )}
      </div>
    </div>
  );
}
