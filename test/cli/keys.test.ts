/**
 * `driftql keys create | list | revoke` on the server's machine, then the server honouring the
 * key: the whole path an operator takes to hand a lab its first key.
 */
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { startServerProcess } from '../helpers/process';
import { tempDir } from '../helpers/tmp';

const root = tempDir('driftql-cli-keys-');
const db = path.join(root, 'keys.duckdb');
const drift = (...args: string[]) => runCli(root, [...args, '--db', db]);

async function datasetsWith(key: string): Promise<{ status: number; code?: string }> {
  const server = await startServerProcess({ DRIFT_DB: db });
  try {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ apiKeys { lab role } }' }),
    });
    const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    return { status: res.status, code: body.errors?.[0]?.extensions?.code };
  } finally {
    await server.stop();
  }
}

it('creates an admin key shown once, lists it without the key, and revokes it', async () => {
  const created = drift('keys', 'create', '--lab', 'ops-lab', '--role', 'admin', '--name', 'first admin');
  expect(created.status).toBe(0);
  const key = /\b(dql_[A-Za-z0-9_-]{43})\b/.exec(created.stdout)?.[1];
  expect(key).toBeDefined();
  expect(created.stderr).toMatch(/shown only this once/);

  const listed = drift('keys', 'list', '--json');
  expect(listed.status).toBe(0);
  const keys = JSON.parse(listed.stdout) as {
    id: number;
    lab: string;
    role: string;
    name: string;
    prefix: string;
    revokedAt: string | null;
  }[];
  expect(keys).toEqual([expect.objectContaining({ id: 1, lab: 'ops-lab', role: 'admin', name: 'first admin', revokedAt: null })]);
  expect(listed.stdout).not.toContain(key!);
  expect(key!.startsWith(keys[0]!.prefix)).toBe(true);

  // The server accepts it as an admin key.
  expect(await datasetsWith(key!)).toEqual({ status: 200, code: undefined });

  const revoked = drift('keys', 'revoke', '1');
  expect(revoked.status).toBe(0);
  expect(revoked.stdout).toMatch(/revoked key 1/);
  expect(await datasetsWith(key!)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
});

it('refuses an unknown role and an unknown key id with a plain message', () => {
  const badRole = drift('keys', 'create', '--lab', 'x', '--role', 'owner');
  expect(badRole.status).toBe(1);
  expect(badRole.stderr).toMatch(/--role must be one of reader, writer, admin/);
  const badId = drift('keys', 'revoke', '99');
  expect(badId.status).toBe(1);
  expect(badId.stderr).toMatch(/no API key with id 99/);
  expect(badId.stderr).not.toMatch(/^\s+at /m);
});
