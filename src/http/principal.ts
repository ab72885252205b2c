/**
 * The principal of an HTTP request, resolved once from its Authorization header and shared by
 * everything that needs it (the rate limiter, the GraphQL context, REST handlers).
 */
import type { Request } from 'express';
import type { KeyService } from '../auth/keys.service';
import type { Principal } from '../auth/principal';

export type PrincipalOf = (req: Request) => Promise<Principal>;

/**
 * A function giving each request's principal, looked up on first use and remembered for the
 * request. A bad key rejects (UNAUTHENTICATED) every time it is asked for.
 */
export function principalResolver(keys: KeyService): PrincipalOf {
  const resolved = new WeakMap<Request, Promise<Principal>>();
  return (req) => {
    let principal = resolved.get(req);
    if (!principal) {
      principal = keys.authenticate(req.headers.authorization);
      principal.catch(() => undefined); // handled by whoever awaits it
      resolved.set(req, principal);
    }
    return principal;
  };
}
