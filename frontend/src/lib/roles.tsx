// Roles, lowest first: what the UI offers follows them (the server enforces them anyway).
import type { ReactNode } from 'react';
import { useSession } from './session';

export type Role = 'operator' | 'engineer' | 'admin';
export const ROLES: readonly Role[] = ['operator', 'engineer', 'admin'];

export function roleAtLeast(role: string | undefined | null, required: Role): boolean {
  const have = ROLES.indexOf(role as Role);
  return have >= 0 && have >= ROLES.indexOf(required);
}

/** True when the signed-in user has at least ``required``. */
export function useCan(required: Role): boolean {
  return roleAtLeast(useSession().user?.role, required);
}

/** Renders its children only for users with at least ``role``. */
export function RequireRole({ role, children, fallback = null }: { role: Role; children: ReactNode; fallback?: ReactNode }) {
  return useCan(role) ? <>{children}</> : <>{fallback}</>;
}
