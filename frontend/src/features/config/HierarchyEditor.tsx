// The plant hierarchy (ISA-95) editor: add, rename, move, delete (with confirmation); the
// characteristics of each node are listed under it to pick one for editing.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, unwrap, type Characteristic, type HierarchyTree } from '@/lib/api';
import { chartInfo } from '@/lib/chartTypes';
import { keys } from '@/lib/queryKeys';
import { ConfirmDialog, ErrorText, Field, Modal } from '@/lib/ui';

export const NODE_TYPES = ['enterprise', 'site', 'area', 'line', 'cell', 'equipment'] as const;
export type NodeType = (typeof NODE_TYPES)[number];

function childType(type: NodeType): NodeType {
  return NODE_TYPES[Math.min(NODE_TYPES.indexOf(type) + 1, NODE_TYPES.length - 1)];
}

function find(nodes: HierarchyTree[], id: number): HierarchyTree | null {
  for (const n of nodes) {
    if (n.id === id) return n;
    const hit = find(n.children ?? [], id);
    if (hit) return hit;
  }
  return null;
}

function ids(node: HierarchyTree): number[] {
  return [node.id, ...(node.children ?? []).flatMap(ids)];
}

export function flattenNodes(nodes: HierarchyTree[], depth = 0): { node: HierarchyTree; depth: number }[] {
  return nodes.flatMap((n) => [{ node: n, depth }, ...flattenNodes(n.children ?? [], depth + 1)]);
}

type Dialog =
  | { kind: 'add'; parent: HierarchyTree | null }
  | { kind: 'rename'; node: HierarchyTree }
  | { kind: 'move'; node: HierarchyTree }
  | { kind: 'delete'; node: HierarchyTree };

function useInvalidateTree() {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: keys.hierarchy });
    void client.invalidateQueries({ queryKey: keys.characteristics });
  };
}

function NodeDialog({ dialog, roots, onClose }: { dialog: Exclude<Dialog, { kind: 'delete' }>; roots: HierarchyTree[]; onClose: () => void }) {
  const refresh = useInvalidateTree();
  const initialType: NodeType =
    dialog.kind === 'add' ? (dialog.parent ? childType(dialog.parent.type as NodeType) : 'site') : (dialog.node.type as NodeType);
  const [name, setName] = useState(dialog.kind === 'rename' ? dialog.node.name : '');
  const [type, setType] = useState<NodeType>(initialType);
  const [parent, setParent] = useState<string>(dialog.kind === 'move' ? String(dialog.node.parent_id ?? '') : '');
  const [invalid, setInvalid] = useState<string | null>(null);

  const excluded = dialog.kind === 'move' ? new Set(ids(dialog.node)) : new Set<number>();
  const targets = flattenNodes(roots).filter(({ node }) => !excluded.has(node.id));

  const save = useMutation({
    mutationFn: async () => {
      if (dialog.kind === 'add') {
        return unwrap(api.createHierarchyNode({ body: { name: name.trim(), type, parent_id: dialog.parent?.id ?? null } }));
      }
      if (dialog.kind === 'rename') {
        return unwrap(api.updateHierarchyNode({ path: { node_id: dialog.node.id }, body: { name: name.trim(), type } }));
      }
      return unwrap(api.updateHierarchyNode({ path: { node_id: dialog.node.id }, body: { parent_id: parent ? Number(parent) : null } }));
    },
    onSuccess: () => {
      refresh();
      onClose();
    },
  });
  const submit = () => {
    if (dialog.kind !== 'move' && !name.trim()) {
      setInvalid('Give a name.');
      return;
    }
    setInvalid(null);
    save.mutate();
  };
  const fieldErrors = save.error instanceof ApiError ? save.error.fieldErrors : {};
  const serverField = (f: string): string | undefined => fieldErrors[f];
  const title =
    dialog.kind === 'add'
      ? dialog.parent
        ? `Add below ${dialog.parent.name}`
        : 'Add a top-level node'
      : dialog.kind === 'rename'
        ? `Rename ${dialog.node.name}`
        : `Move ${dialog.node.name}`;

  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={submit} disabled={save.isPending}>
            {dialog.kind === 'add' ? 'Add' : dialog.kind === 'rename' ? 'Save' : 'Move'}
          </button>
        </>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {dialog.kind !== 'move' && (
          <>
            <Field label="Name" htmlFor="node-name" error={invalid ?? serverField('name')}>
              <input id="node-name" autoFocus value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
            </Field>
            <Field label="Level" htmlFor="node-type" error={serverField('type')}>
              <select id="node-type" value={type} onChange={(e) => setType(e.target.value as NodeType)}>
                {NODE_TYPES.map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            </Field>
          </>
        )}
        {dialog.kind === 'move' && (
          <Field label="New parent" htmlFor="node-parent" error={serverField('parent_id') ?? serverField('type')}>
            <select id="node-parent" value={parent} onChange={(e) => setParent(e.target.value)} autoFocus>
              <option value="">(top level)</option>
              {targets.map(({ node, depth }) => (
                <option key={node.id} value={node.id}>
                  {'\u00a0\u00a0'.repeat(depth)}
                  {node.name} ({node.type})
                </option>
              ))}
            </select>
          </Field>
        )}
        <ErrorText error={Object.keys(fieldErrors).length ? null : save.error} />
        <button type="submit" hidden />
      </form>
    </Modal>
  );
}

export function HierarchyEditor({
  selectedNodeId,
  selectedCharacteristicId,
  onSelectNode,
  onSelectCharacteristic,
  onNewCharacteristic,
}: {
  selectedNodeId: number | null;
  selectedCharacteristicId: number | null;
  onSelectNode: (id: number | null) => void;
  onSelectCharacteristic: (id: number) => void;
  onNewCharacteristic: (nodeId: number) => void;
}) {
  const hierarchy = useQuery({ queryKey: keys.hierarchy, queryFn: () => unwrap(api.getHierarchy()) });
  const characteristics = useQuery({ queryKey: keys.characteristics, queryFn: () => unwrap(api.listCharacteristics()) });
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const refresh = useInvalidateTree();
  const roots = useMemo(() => hierarchy.data ?? [], [hierarchy.data]);
  const byNode = useMemo(() => {
    const m = new Map<number, Characteristic[]>();
    for (const c of characteristics.data ?? []) m.set(c.hierarchy_id, [...(m.get(c.hierarchy_id) ?? []), c]);
    return m;
  }, [characteristics.data]);
  const selected = selectedNodeId !== null ? find(roots, selectedNodeId) : null;

  const remove = useMutation({
    mutationFn: (id: number) => unwrap(api.deleteHierarchyNode({ path: { node_id: id } })),
    onSuccess: () => {
      refresh();
      onSelectNode(null);
      setDialog(null);
    },
  });

  const render = (n: HierarchyTree): ReactNode => (
    <li key={`n${n.id}`}>
      <div className="editor-row">
        <button
          type="button"
          className={`tree-node${n.id === selectedNodeId ? ' selected tree-leaf' : ''}`}
          onClick={() => onSelectNode(n.id)}
          aria-current={n.id === selectedNodeId ? 'true' : undefined}
          data-testid={`node-${n.id}`}
        >
          <span className="tree-label">{n.name}</span>
          <small className="tree-meta">{n.type}</small>
        </button>
      </div>
      <ul>
        {(n.children ?? []).map(render)}
        {(byNode.get(n.id) ?? []).map((c) => (
          <li key={`c${c.id}`}>
            <button
              type="button"
              className={`tree-leaf${c.id === selectedCharacteristicId ? ' selected' : ''}`}
              onClick={() => onSelectCharacteristic(c.id)}
              data-testid={`config-characteristic-${c.id}`}
            >
              <span className="tree-label">{c.name}</span>
              <small className="tree-meta" title={chartInfo(c.chart_type).choice}>
                {chartInfo(c.chart_type).name}
              </small>
            </button>
          </li>
        ))}
      </ul>
    </li>
  );

  return (
    <section className="panel" aria-label="Plant hierarchy">
      <div className="panel-title">
        <h2>Plant hierarchy</h2>
        <button type="button" className="small" onClick={() => setDialog({ kind: 'add', parent: null })}>
          + Top level
        </button>
      </div>
      {selected && (
        <div className="toolbar node-toolbar" aria-label={`Actions for ${selected.name}`}>
          <button type="button" className="small" onClick={() => setDialog({ kind: 'add', parent: selected })}>
            + Child
          </button>
          <button type="button" className="small" onClick={() => onNewCharacteristic(selected.id)}>
            + Characteristic
          </button>
          <button type="button" className="small" onClick={() => setDialog({ kind: 'rename', node: selected })}>
            Rename
          </button>
          <button type="button" className="small" onClick={() => setDialog({ kind: 'move', node: selected })}>
            Move
          </button>
          <button type="button" className="small" onClick={() => setDialog({ kind: 'delete', node: selected })}>
            Delete
          </button>
        </div>
      )}
      <ErrorText error={hierarchy.error} />
      <ul className="tree">{roots.map(render)}</ul>
      {dialog && dialog.kind !== 'delete' && <NodeDialog dialog={dialog} roots={roots} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete ${dialog.node.name}?`}
          message={`The ${dialog.node.type} “${dialog.node.name}” will be deleted. A node that still has child nodes or characteristics cannot be deleted.`}
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate(dialog.node.id)}
          onCancel={() => {
            remove.reset();
            setDialog(null);
          }}
        />
      )}
    </section>
  );
}
