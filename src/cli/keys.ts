/**
 * `driftql keys ...`: API keys managed on the server's machine, through the database file (the
 * server must be stopped in embedded mode, since the CLI then holds the file). On a running
 * server an admin key manages keys through GraphQL instead.
 */
import { KeyService, type ApiKeyInfo } from '../auth/keys.service';
import { ROLES, type Role } from '../domain';
import { UserInputError } from '../errors';
import { clusterConfig, resolveDbFile, withCluster, withReadOnlyDb, withWritableDb } from './database';

function roleOf(value: string): Role {
  const role = ROLES.find((r) => r === value);
  if (!role) throw new UserInputError(`--role must be one of ${ROLES.join(', ')}, got "${value}"`, 'role');
  return role;
}

export async function keysCreate(opts: { lab: string; role: string; name?: string; db?: string }): Promise<void> {
  const role = roleOf(opts.role);
  const create = (keys: KeyService) => keys.create(opts.lab, role, opts.name ?? null);
  const cluster = clusterConfig(opts.db);
  const { key, info } = cluster
    ? await withCluster(cluster, (s) => create(new KeyService(s)))
    : await withWritableDb(resolveDbFile(opts.db), (db) => create(new KeyService(db)));
  console.log(`created key ${info.id} (${info.role} of lab ${info.lab}${info.name ? `, "${info.name}"` : ''}):\n\n  ${key}\n`);
  console.error('Store it now: it is shown only this once (the server keeps only its hash).');
}

function table(keys: ApiKeyInfo[]): string {
  const head = ['id', 'lab', 'role', 'name', 'prefix', 'created', 'revoked'];
  const rows = keys.map((k) => [String(k.id), k.lab, k.role, k.name ?? '', `${k.prefix}…`, k.createdAt, k.revokedAt ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export async function keysList(opts: { db?: string; json?: boolean }): Promise<void> {
  const cluster = clusterConfig(opts.db);
  const keys = cluster
    ? await withCluster(cluster, (s) => new KeyService(s).list())
    : await withReadOnlyDb(resolveDbFile(opts.db), (db) => new KeyService(db).list());
  if (opts.json) console.log(JSON.stringify(keys, null, 2));
  else console.log(keys.length ? table(keys) : 'no API keys yet; create one with `driftql keys create --lab <lab> --role admin`');
}

export async function keysRevoke(id: string, opts: { db?: string }): Promise<void> {
  if (!/^\d+$/.test(id)) throw new UserInputError(`key id must be a number (see \`driftql keys list\`), got "${id}"`, 'id');
  const cluster = clusterConfig(opts.db);
  const info = cluster
    ? await withCluster(cluster, (s) => new KeyService(s).revoke(Number(id)))
    : await withWritableDb(resolveDbFile(opts.db), (db) => new KeyService(db).revoke(Number(id)));
  console.log(`revoked key ${info.id} (${info.role} of lab ${info.lab}); it stops working on the next request`);
}
