import { describe, expect, it } from 'vitest';
import { rollUp } from './status';

describe('tree status', () => {
  it('rolls the worst status up the hierarchy', () => {
    const tree = [
      { id: 1, parent_id: null, name: 'Site', type: 'site' as const, created_at: '', children: [
        { id: 2, parent_id: 1, name: 'Line A', type: 'line' as const, created_at: '', children: [] },
        { id: 3, parent_id: 1, name: 'Line B', type: 'line' as const, created_at: '', children: [] },
      ] },
    ];
    const chars = [{ id: 10, hierarchy_id: 2 }, { id: 11, hierarchy_id: 3 }, { id: 12, hierarchy_id: 3 }];
    const counts = [
      { characteristic_id: 10, characteristic_name: 'a', hierarchy_id: 2, unacknowledged: 2, total: 2, unacknowledged_critical: 0 },
      { characteristic_id: 12, characteristic_name: 'c', hierarchy_id: 3, unacknowledged: 0, total: 4, unacknowledged_critical: 0 },
    ];
    let s = rollUp(tree, chars, counts);
    expect([s.byCharacteristic.get(10), s.byCharacteristic.get(11), s.byCharacteristic.get(12)]).toEqual(['warning', 'ok', 'ok']);
    expect([s.byNode.get(1), s.byNode.get(2), s.byNode.get(3)]).toEqual(['warning', 'warning', 'ok']);
    s = rollUp(tree, chars, [...counts, { characteristic_id: 11, characteristic_name: 'b', hierarchy_id: 3, unacknowledged: 1, total: 1, unacknowledged_critical: 1 }]);
    expect([s.byNode.get(1), s.byNode.get(3)]).toEqual(['critical', 'critical']);
  });
});

