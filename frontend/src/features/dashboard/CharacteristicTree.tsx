import { useQuery } from '@tanstack/react-query';
import { useMemo, useState, type ReactNode } from 'react';
import { api, unwrap, type Characteristic, type HierarchyTree } from '@/lib/api';
import { usePollInterval } from '@/lib/live';
import { keys } from '@/lib/queryKeys';
import { Empty, ErrorText } from '@/lib/ui';
import { nodePaths, rollUp, type Status } from './status';

const STATUS_TEXT: Record<Status, string> = {
  critical: 'unacknowledged critical violations',
  warning: 'unacknowledged warnings',
  ok: 'no unacknowledged violations',
};

function Dot({ status }: { status: Status }) {
  return <span className={`status-dot status-${status}`} title={STATUS_TEXT[status]} aria-label={STATUS_TEXT[status]} data-status={status} />;
}

export function useTreeData() {
  const poll = usePollInterval();
  const hierarchy = useQuery({ queryKey: keys.hierarchy, queryFn: () => unwrap(api.getHierarchy()) });
  const characteristics = useQuery({
    queryKey: keys.characteristics,
    queryFn: () => unwrap(api.listCharacteristics()),
  });
  const summary = useQuery({
    queryKey: [...keys.summary, 'all'],
    queryFn: () => unwrap(api.getViolationSummary()),
    refetchInterval: poll,
  });
  return { hierarchy, characteristics, summary };
}

export function CharacteristicTree({
  selectedId,
  onSelect,
}: {
  selectedId: number | null;
  onSelect: (id: number) => void;
}) {
  const { hierarchy, characteristics, summary } = useTreeData();
  const [query, setQuery] = useState('');
  const [collapsed, setCollapsed] = useState<Set<number>>(new Set());

  const roots = useMemo(() => hierarchy.data ?? [], [hierarchy.data]);
  const chars = useMemo(() => characteristics.data ?? [], [characteristics.data]);
  const status = useMemo(
    () => rollUp(roots, chars, summary.data?.by_characteristic ?? []),
    [roots, chars, summary.data],
  );
  const paths = useMemo(() => nodePaths(roots), [roots]);
  const byNode = useMemo(() => {
    const m = new Map<number, Characteristic[]>();
    for (const c of chars) m.set(c.hierarchy_id, [...(m.get(c.hierarchy_id) ?? []), c]);
    m.forEach((list) => list.sort((a, b) => a.name.localeCompare(b.name)));
    return m;
  }, [chars]);

  const q = query.trim().toLowerCase();
  const matches = q
    ? chars.filter((c) =>
        [c.name, c.description ?? '', c.tag ?? '', paths.get(c.hierarchy_id) ?? ''].some((t) => t.toLowerCase().includes(q)),
      )
    : [];

  const toggle = (id: number) =>
    setCollapsed((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const leaf = (c: Characteristic, showPath = false) => (
    <li key={`c${c.id}`}>
      <button
        type="button"
        className={`tree-leaf${c.id === selectedId ? ' selected' : ''}`}
        onClick={() => onSelect(c.id)}
        aria-current={c.id === selectedId ? 'true' : undefined}
        data-testid={`characteristic-${c.id}`}
      >
        <Dot status={status.byCharacteristic.get(c.id) ?? 'ok'} />
        <span className="tree-label">
          {c.name}
          {showPath && <small className="muted"> {paths.get(c.hierarchy_id)}</small>}
        </span>
        <small className="tree-meta">{c.source === 'TAG' ? 'tag' : 'manual'}</small>
      </button>
    </li>
  );

  const node = (n: HierarchyTree): ReactNode => {
    const open = !collapsed.has(n.id);
    const kids = n.children ?? [];
    const leaves = byNode.get(n.id) ?? [];
    return (
      <li key={`n${n.id}`}>
        <button type="button" className="tree-node" onClick={() => toggle(n.id)} aria-expanded={open}>
          <span className="tree-caret" aria-hidden="true">{open ? '▾' : '▸'}</span>
          <Dot status={status.byNode.get(n.id) ?? 'ok'} />
          <span className="tree-label">{n.name}</span>
          <small className="tree-meta">{n.type}</small>
        </button>
        {open && (kids.length > 0 || leaves.length > 0) && (
          <ul>
            {kids.map(node)}
            {leaves.map((c) => leaf(c))}
          </ul>
        )}
      </li>
    );
  };

  return (
    <section className="panel tree-panel" aria-label="Characteristics">
      <div className="panel-title">
        <h2>Plant</h2>
      </div>
      <input
        type="search"
        className="tree-search"
        placeholder="Search characteristics, tags…"
        aria-label="Search characteristics"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      <ErrorText error={hierarchy.error ?? characteristics.error} />
      <div className="tree-scroll">
        {q ? (
          matches.length ? <ul className="tree">{matches.map((c) => leaf(c, true))}</ul> : <Empty>No characteristic matches “{query}”.</Empty>
        ) : roots.length ? (
          <ul className="tree">{roots.map(node)}</ul>
        ) : (
          !hierarchy.isLoading && <Empty>No plant hierarchy yet.</Empty>
        )}
      </div>
      <p className="legend">
        <Dot status="critical" /> critical <Dot status="warning" /> warning <Dot status="ok" /> in control
      </p>
    </section>
  );
}
