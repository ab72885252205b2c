/**
 * API keys: random, shown once, stored only as a sha256 hash. A key looks like
 * `dql_<43 base64url characters>` (256 random bits); the prefix makes a leaked key easy to spot
 * and to search for. Authentication looks the hash up on every request, so a revoked key stops
 * working on the next request.
 */
import crypto from 'node:crypto';
import { asc, eq, max } from 'drizzle-orm';
import type { DriftDb } from '../db/client';
import { asStorage, type Storage } from '../db/storage';
import { apiKeys } from '../db/schema';
import { ROLES, type Role } from '../domain';
import { NotFoundError, UnauthenticatedError, UserInputError } from '../errors';
import type { Principal } from './principal';

export const KEY_PREFIX = 'dql_';
const KEY_PATTERN = /^dql_[A-Za-z0-9_-]{43}$/;
/** Characters of a key kept in clear for listings (the prefix and a few more). */
const SHOWN = 12;

export interface ApiKeyInfo {
  id: number;
  lab: string;
  role: Role;
  name: string | null;
  /** The first characters of the key, e.g. `dql_Ab3xYz9q`. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export const HOW_TO_GET_A_KEY =
  'ask the server operator for an API key (created with `driftql keys create --lab <lab> --role <role>`) and send it as "Authorization: Bearer <key>"';

export function hashKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : new Date(`${String(v).replace(' ', 'T')}Z`).toISOString();
}

export class KeyService {
  private readonly storage: Storage;

  constructor(source: DriftDb | Storage) {
    this.storage = asStorage(source);
  }

  /** Creates a key and returns it in clear, once. */
  async create(lab: string, role: Role, name: string | null = null): Promise<{ key: string; info: ApiKeyInfo }> {
    const labName = lab.trim();
    if (!labName || labName.includes('\0')) throw new UserInputError('lab must be a non-empty name', 'lab');
    if (!ROLES.includes(role)) throw new UserInputError(`role must be one of ${ROLES.join(', ')}`, 'role');
    const key = KEY_PREFIX + crypto.randomBytes(32).toString('base64url');
    return this.storage.serializedKeys(async (orm) => {
      // Key writers take turns (in cluster mode across replicas), so max + 1 cannot race.
      const [last] = await orm.select({ id: max(apiKeys.id) }).from(apiKeys);
      const next = (last?.id ?? 0) + 1;
      const createdAt = new Date();
      await orm.insert(apiKeys).values({ id: next, lab: labName, role, name, prefix: key.slice(0, SHOWN), hash: hashKey(key), createdAt });
      return {
        key,
        info: { id: next, lab: labName, role, name, prefix: key.slice(0, SHOWN), createdAt: createdAt.toISOString(), revokedAt: null },
      };
    });
  }

  async list(): Promise<ApiKeyInfo[]> {
    const rows = await this.storage.control.select().from(apiKeys).orderBy(asc(apiKeys.id));
    return rows.map((r) => ({
      id: r.id,
      lab: r.lab,
      role: r.role,
      name: r.name,
      prefix: r.prefix,
      createdAt: iso(r.createdAt),
      revokedAt: r.revokedAt === null ? null : iso(r.revokedAt),
    }));
  }

  /** Revokes a key; revoking it again is a no-op. */
  async revoke(id: number): Promise<ApiKeyInfo> {
    await this.storage.serializedKeys(async (orm) => {
      const [row] = await orm.select({ revokedAt: apiKeys.revokedAt }).from(apiKeys).where(eq(apiKeys.id, id));
      if (!row) throw new NotFoundError(`no API key with id ${id}; list keys with \`driftql keys list\``, 'id');
      if (row.revokedAt === null) await orm.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, id));
    });
    const info = (await this.list()).find((k) => k.id === id);
    if (!info) throw new NotFoundError(`no API key with id ${id}`, 'id');
    return info;
  }

  /**
   * The principal an `Authorization` header value names. No header: anonymous. Anything else
   * that is not a live key's `Bearer <key>` is refused with UNAUTHENTICATED, and the message
   * never says whether a key existed.
   */
  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (authorization === undefined || authorization.trim() === '') return { kind: 'anonymous' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new UnauthenticatedError(`the Authorization header must be "Bearer <key>"; ${HOW_TO_GET_A_KEY}`);
    const key = match[1]!;
    if (!KEY_PATTERN.test(key))
      throw new UnauthenticatedError(`that is not a driftql API key (they start with ${KEY_PREFIX}); ${HOW_TO_GET_A_KEY}`);
    const [row] = await this.storage.control
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.hash, hashKey(key)));
    if (!row || row.revokedAt !== null) throw new UnauthenticatedError(`this API key is unknown or revoked; ${HOW_TO_GET_A_KEY}`);
    return { kind: 'key', keyId: row.id, lab: row.lab, role: row.role, name: row.name };
  }
}
