/**
 * Queries keep being answered while a pushed bundle is ingested, and each answer is the one from
 * before the ingest or the one from after it, never a mix (real server process, 20 clients).
 */
import fs from 'node:fs';
import path from 'node:path';
import { KeyService } from '../../src/auth/keys.service';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { ingestBundle } from '../../src/ingest/ingest';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { tempDir } from '../helpers/tmp';
import { tarGzOf } from './archive';
import { validBundle } from './bundles';

const dir = tempDir('driftql-serving-');
let server: ServerProcess;
let key = '';

const QUERY = `{ runs(filter: { lab: ["lab-a"] }) { totalCount }
  driftMetrics(runFilter: { lab: ["lab-a"] }, stances: [SUPPORT], topics: ["t1"]) { runKey stage magnitude driftTime } }`;

beforeAll(async () => {
  const dbFile = path.join(dir, 'serving.duckdb');
  const db = await DriftDb.open(dbFile);
  try {
    await migrate(db);
    key = (await new KeyService(db).create('lab-a', 'writer')).key;
    await ingestBundle(db, validBundle(path.join(dir, 'first'), { lab: 'lab-a', name: 'first', topics: ['t1', 't2'] }));
  } finally {
    await db.close();
  }
  server = await startServerProcess({ DRIFT_DB: dbFile, DRIFT_RATE_LIMIT: '0' });
});
afterAll(async () => {
  await server?.stop();
});

async function ask(): Promise<string> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: QUERY }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  const body = (await res.json()) as { data?: unknown; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return JSON.stringify(body.data);
}

it('answers every query during the ingest with the data before it or after it', async () => {
  const before = await ask();
  const bundle = validBundle(path.join(dir, 'second'), {
    lab: 'lab-a',
    name: 'second',
    runs: Array.from({ length: 30 }, (_, i) => `second.s${i}`),
    topics: ['t1', 't2', 't3'],
    prompts: 30,
    generations: 5,
  });
  const archive = new Uint8Array(fs.readFileSync(await tarGzOf(bundle, path.join(dir, 'second.tar.gz'))));

  let ingesting = true;
  const answers: string[] = [];
  const clients = Array.from({ length: 20 }, async () => {
    // Keep asking while the job runs, and a few times after it.
    for (let after = 0; after < 3;) {
      answers.push(await ask());
      if (!ingesting) after++;
    }
  });
  const res = await fetch(`${server.url}/api/v1/bundles`, {
    method: 'POST',
    headers: { 'content-type': 'application/gzip', authorization: `Bearer ${key}` },
    body: archive,
  });
  expect(res.status).toBe(202);
  const { job } = (await res.json()) as { job: { id: string } };
  for (;;) {
    const j = (await (await fetch(`${server.url}/api/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      status: string;
    };
    if (j.status === 'succeeded' || j.status === 'failed') {
      expect(j.status).toBe('succeeded');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  ingesting = false;
  await Promise.all(clients);
  const after = await ask();

  expect(after).not.toBe(before);
  expect((JSON.parse(after) as { runs: { totalCount: number } }).runs.totalCount).toBe(32);
  const other = answers.filter((a) => a !== before && a !== after);
  expect(other).toEqual([]);
  expect(answers.filter((a) => a === before).length).toBeGreaterThan(0);
  expect(answers.filter((a) => a === after).length).toBeGreaterThanOrEqual(60);
});
