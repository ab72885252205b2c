/**
 * `driftql push`: pack, upload to a running server process and follow the job; the output is
 * what a local ingest prints, problems included.
 */
import path from 'node:path';
import { KeyService } from '../../src/auth/keys.service';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { startCli } from '../helpers/cli';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { tempDir } from '../helpers/tmp';
import { brokenBundle, validBundle } from '../upload/bundles';

const root = tempDir('driftql-cli-push-');
let server: ServerProcess;
const keys: Record<string, string> = {};

beforeAll(async () => {
  const dbFile = path.join(root, 'served.duckdb');
  const db = await DriftDb.open(dbFile);
  try {
    await migrate(db);
    const k = new KeyService(db);
    keys.writer = (await k.create('lab-a', 'writer')).key;
    keys.reader = (await k.create('lab-a', 'reader')).key;
  } finally {
    await db.close();
  }
  server = await startServerProcess({ DRIFT_DB: dbFile });
});
afterAll(async () => {
  await server?.stop();
});

const push = (...args: string[]) => startCli(root, ['push', ...args, '--server', server.url]);

it('uploads a bundle, follows its job and prints what was ingested; the token may come from DRIFT_TOKEN', async () => {
  const dir = validBundle(path.join(root, 'ok'), { lab: 'lab-a', version: '1' });
  const dry = await push(dir, '--token', keys.writer!, '--dry-run');
  expect(dry.stderr).not.toMatch(/error/);
  expect(dry.status).toBe(0);
  expect(dry.stdout).toMatch(/^valid: lab-a\/small v1 would ingest 2 runs, 2 topics, 4 prompts, 80 observations/m);

  const r = await startCli(root, ['push', dir, '--server', server.url], { DRIFT_TOKEN: keys.writer });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^ingested: lab-a\/small v1: 2 runs, 2 topics, 4 prompts, 80 observations from 1 file in [\d.]+ s$/m);
  expect(r.stderr).toMatch(/ingest job [0-9a-f-]+ queued/);
  const q = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ datasets { version observationCount } }' }),
  });
  expect(await q.json()).toEqual({ data: { datasets: [{ version: '1', observationCount: 80 }] } });
});

it('prints a broken bundle’s problems as a local ingest does, and exits 1', async () => {
  const dir = brokenBundle(path.join(root, 'broken'), { lab: 'lab-a', version: '2' });
  const r = await push(dir, '--token', keys.writer!, '--quiet');
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^error: bundle refused \(\d+ problems?\); nothing was written:$/m);
  expect(r.stderr).toContain('observations.csv, line 4, field p_support');
  expect(r.stderr).toContain('observations.csv, line 6, field run_id');
});

it('refuses a reader key with the server’s FORBIDDEN message', async () => {
  const dir = validBundle(path.join(root, 'nope'), { lab: 'lab-a', version: '3' });
  const r = await push(dir, '--token', keys.reader!, '--quiet');
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/refused the upload \(HTTP 403, FORBIDDEN\)/);
});
