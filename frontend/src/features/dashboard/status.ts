// Status colours of the plant tree: a characteristic with an unacknowledged CRITICAL violation
// is red, one with only unacknowledged WARNINGs amber, otherwise green; a node takes the worst
// status below it.
import type { Characteristic, CharacteristicCounts, HierarchyTree } from '@/lib/api';

export type Status = 'critical' | 'warning' | 'ok';
const RANK: Record<Status, number> = { ok: 0, warning: 1, critical: 2 };

export function worst(a: Status, b: Status): Status {
  return RANK[a] >= RANK[b] ? a : b;
}

export function characteristicStatus(counts: CharacteristicCounts | undefined): Status {
  if (!counts) return 'ok';
  if (counts.unacknowledged_critical > 0) return 'critical';
  if (counts.unacknowledged > 0) return 'warning';
  return 'ok';
}

/** Status per characteristic id and per hierarchy node id (rolled up to the roots). */
export function rollUp(
  roots: HierarchyTree[],
  characteristics: Pick<Characteristic, 'id' | 'hierarchy_id'>[],
  counts: CharacteristicCounts[],
): { byCharacteristic: Map<number, Status>; byNode: Map<number, Status> } {
  const byId = new Map(counts.map((c) => [c.characteristic_id, c]));
  const byCharacteristic = new Map<number, Status>();
  const own = new Map<number, Status>();
  for (const c of characteristics) {
    const s = characteristicStatus(byId.get(c.id));
    byCharacteristic.set(c.id, s);
    own.set(c.hierarchy_id, worst(own.get(c.hierarchy_id) ?? 'ok', s));
  }
  const byNode = new Map<number, Status>();
  const visit = (node: HierarchyTree): Status => {
    let s = own.get(node.id) ?? 'ok';
    for (const child of node.children ?? []) s = worst(s, visit(child));
    byNode.set(node.id, s);
    return s;
  };
  roots.forEach(visit);
  return { byCharacteristic, byNode };
}

/** "Site / Area / Line" for every node. */
export function nodePaths(roots: HierarchyTree[]): Map<number, string> {
  const out = new Map<number, string>();
  const visit = (node: HierarchyTree, prefix: string) => {
    const path = prefix ? `${prefix} / ${node.name}` : node.name;
    out.set(node.id, path);
    (node.children ?? []).forEach((c) => visit(c, path));
  };
  roots.forEach((r) => visit(r, ''));
  return out;
}
