/**
 * Who is asking, and what they may see. The principal is resolved once per request (from the
 * `Authorization: Bearer <key>` header) and every catalogue and analytic read goes through
 * `canSee`, in CatalogService's scoped run selection, so private data of another lab does not
 * exist for the caller anywhere: not in lists, counts, aggregates, errors or caches.
 */
import type { Role, Visibility } from '../domain';
import { ForbiddenError } from '../errors';

export type Principal = { kind: 'anonymous' } | { kind: 'key'; keyId: number; lab: string; role: Role; name: string | null };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** The principal of the CLI and other local processes that hold the database file itself. */
export const LOCAL_ADMIN: Principal = { kind: 'key', keyId: 0, lab: '*', role: 'admin', name: 'local' };

/** What a principal may read: every dataset, or public ones plus one lab's private ones. */
export interface Scope {
  /** A stable key for caches: two principals with the same key see exactly the same data. */
  readonly key: string;
  canSee(dataset: { lab: string; visibility: Visibility | string }): boolean;
}

const EVERYTHING: Scope = { key: 'all', canSee: () => true };
const PUBLIC_ONLY: Scope = { key: 'public', canSee: (d) => d.visibility === 'public' };

export function scopeOf(principal: Principal): Scope {
  if (principal.kind === 'anonymous') return PUBLIC_ONLY;
  if (principal.role === 'admin') return EVERYTHING;
  const lab = principal.lab;
  return { key: `lab:${lab}`, canSee: (d) => d.visibility === 'public' || d.lab === lab };
}

/** Throws FORBIDDEN unless the principal may change (upload, replace, delete) the lab's datasets. */
export function assertCanWrite(principal: Principal, lab: string): void {
  if (principal.kind === 'key' && (principal.role === 'admin' || (principal.role === 'writer' && principal.lab === lab))) return;
  throw new ForbiddenError(
    principal.kind === 'anonymous'
      ? 'writing data needs an API key with the writer role for the lab; send it as "Authorization: Bearer <key>"'
      : `this key (role ${principal.role} of lab ${principal.lab}) cannot change datasets of lab ${lab}; use a writer key of that lab or an admin key`,
  );
}

/** Throws FORBIDDEN unless the principal is an admin. */
export function assertAdmin(principal: Principal): void {
  if (principal.kind === 'key' && principal.role === 'admin') return;
  throw new ForbiddenError('managing API keys needs an admin key; ask your server operator');
}
