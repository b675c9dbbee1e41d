// Query keys shared by every feature, so one feature's change (or a live event) refreshes the
// data that another shows.
export const keys = {
  hierarchy: ['hierarchy'] as const,
  characteristics: ['characteristics'] as const,
  characteristic: (id: number) => ['characteristics', id] as const,
  due: ['due'] as const,
  chart: (id: number) => ['chart', id] as const,
  capability: (id: number) => ['capability', id] as const,
  limitsHistory: (id: number) => ['limits-history', id] as const,
  rules: ['rules'] as const,
  violations: ['violations'] as const,
  summary: ['violation-summary'] as const,
  reasonCodes: ['reason-codes'] as const,
  users: ['users'] as const,
};
