import { ForbiddenError } from '../errors.js';

export type Role = 'admin' | 'operator' | 'client';
export const ROLES: readonly Role[] = ['admin', 'operator', 'client'];

/** Who is calling. A client user is bound to exactly one client (tenant). */
export interface Principal {
  userId: number;
  role: Role;
  clientId: number | null;
}

/** Tenant filter for queries: null means every client is visible. */
export function tenantOf(p: Principal): number | null {
  return p.role === 'client' ? p.clientId : null;
}

export function requireRole(p: Principal, ...roles: Role[]): void {
  if (!roles.includes(p.role)) {
    throw new ForbiddenError(`this action needs the role ${roles.join(' or ')}; you are ${p.role}`);
  }
}

/** Staff (admin, operator) manage the registry; client users read their own data. */
export function requireStaff(p: Principal): void {
  requireRole(p, 'admin', 'operator');
}
