/**
 * kill -9 of the real server process in the middle of an upload, in the middle of an ingest and
 * at its commit: after a restart the database opens, nothing of the dataset is visible, the job
 * says it was interrupted, and the same upload then succeeds. (A kill that lands just after the
 * commit became durable leaves the whole dataset and a job that says it succeeded: never a
 * visible dataset under a failed job, nor part of one.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { KeyService } from '../../src/auth/keys.service';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { INTERRUPTED } from '../../src/upload/jobs';
import { startServerProcess, type ServerProcess } from '../helpers/process';
import { tempDir } from '../helpers/tmp';
import { tarGzOf } from './archive';
import { validBundle } from './bundles';

const dir = tempDir('driftql-crash-');
const dbFile = path.join(dir, 'crash.duckdb');
let key = '';
let server: ServerProcess | undefined;

beforeAll(async () => {
  const db = await DriftDb.open(dbFile);
  try {
    await migrate(db);
    key = (await new KeyService(db).create('lab-a', 'writer')).key;
  } finally {
    await db.close();
  }
});
afterAll(async () => {
  await server?.stop();
});

async function restart(): Promise<ServerProcess> {
  server = await startServerProcess({ DRIFT_DB: dbFile });
  return server;
}

function killHard(s: ServerProcess): Promise<void> {
  return new Promise((resolve) => {
    s.child.once('exit', () => resolve());
    s.child.kill('SIGKILL');
  });
}

async function post(s: ServerProcess, body: Uint8Array | ReadableStream<Uint8Array>) {
  return fetch(`${s.url}/api/v1/bundles`, {
    method: 'POST',
    headers: { 'content-type': 'application/gzip', authorization: `Bearer ${key}` },
    body,
    duplex: 'half',
  } as RequestInit & { duplex: 'half' });
}

async function datasets(s: ServerProcess): Promise<string[]> {
  const res = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: '{ datasets { name } }' }),
  });
  return ((await res.json()) as { data: { datasets: { name: string }[] } }).data.datasets.map((d) => d.name);
}

async function job(s: ServerProcess, id: string) {
  const res = await fetch(`${s.url}/api/v1/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } });
  return (await res.json()) as { status: string; progress: { phase: string; message: string } };
}

async function until<T>(what: () => Promise<T>, done: (t: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const t = await what();
    if (done(t) || Date.now() > end) return t;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The archive of a bundle large enough that its ingest takes a while:
 * 40 runs × 5 checkpoints × 5 topics × 40 prompts × 5 answers.
 */
async function bigArchive(name: string): Promise<Uint8Array> {
  const bundle = validBundle(path.join(dir, name), {
    lab: 'lab-a',
    name,
    runs: Array.from({ length: 40 }, (_, i) => `${name}.s${i}`),
    topics: ['t1', 't2', 't3', 't4', 't5'],
    prompts: 40,
    generations: 5,
  });
  return new Uint8Array(fs.readFileSync(await tarGzOf(bundle, path.join(dir, `${name}.tar.gz`))));
}

/** Uploads the archive and waits until its job reaches one of `phases`; returns the job id and what it saw. */
async function pushUntil(s: ServerProcess, archive: Uint8Array, phases: string[]) {
  const res = await post(s, archive);
  expect(res.status).toBe(202);
  const { job: accepted } = (await res.json()) as { job: { id: string } };
  const seen = await until(
    () => job(s, accepted.id),
    (j) => phases.includes(j.progress.phase),
  );
  return { id: accepted.id, seen };
}

it('a kill during the ingest leaves nothing of the dataset, the job failed, and the same upload then lands', async () => {
  const archive = await bigArchive('big');
  let s = await restart();
  const { id, seen } = await pushUntil(s, archive, ['writing', 'aggregating', 'committing', 'done', 'failed']);
  expect(['writing', 'aggregating']).toContain(seen.progress.phase);
  await killHard(s);

  s = await restart();
  expect(await datasets(s)).toEqual([]);
  expect(await job(s, id)).toMatchObject({ status: 'failed', progress: { phase: 'failed', message: INTERRUPTED } });
  const { seen: finished } = await pushUntil(s, archive, ['done', 'failed']);
  expect(finished.status).toBe('succeeded');
  expect(await datasets(s)).toEqual(['big']);
  await s.stop();
});

it('a kill at the commit leaves all of the dataset or none, and a job that says which', async () => {
  const archive = await bigArchive('commit');
  let s = await restart();
  // The job says 'committing' (written before COMMIT is sent) until the commit has returned.
  const { id, seen } = await pushUntil(s, archive, ['committing', 'done', 'failed']);
  expect(seen.progress.phase).toBe('committing');
  await killHard(s);

  s = await restart();
  const after = await job(s, id);
  const visible = await datasets(s);
  if (after.status === 'failed') {
    expect(after.progress).toMatchObject({ phase: 'failed', message: INTERRUPTED });
    expect(visible).not.toContain('commit');
  } else {
    expect(after).toMatchObject({ status: 'succeeded', progress: { phase: 'done' } });
    expect(visible).toContain('commit');
  }
  // All or nothing: the runs visible are every run of the bundle, or none of them.
  // (Every run, not a filter on the dataset: naming a dataset that is not there is an error.)
  const runs = await fetch(`${s.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: '{ runs(first: 200) { nodes { key } } }' }),
  });
  const keys = ((await runs.json()) as { data: { runs: { nodes: { key: string }[] } } }).data.runs.nodes.map((n) => n.key);
  const count = keys.filter((k) => k.startsWith('commit.')).length;
  expect(count).toBe(after.status === 'failed' ? 0 : 40);

  const { seen: finished } = await pushUntil(s, archive, ['done', 'failed']);
  expect(finished.status).toBe('succeeded');
  expect(await datasets(s)).toContain('commit');
  await s.stop();
});

it('a kill while the body is still arriving leaves nothing behind; the upload then lands', async () => {
  const bundle = validBundle(path.join(dir, 'slow'), { lab: 'lab-a', name: 'slow' });
  const archive = new Uint8Array(fs.readFileSync(await tarGzOf(bundle, path.join(dir, 'slow.tar.gz'))));
  let s = await restart();
  // Send half the archive, then hold the request open.
  let release: () => void = () => undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(archive.subarray(0, archive.length >> 1));
      release = () => {
        try {
          controller.close();
        } catch {
          // the connection is gone
        }
      };
    },
  });
  const pending = post(s, body).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 300));
  await killHard(s);
  release();
  // The client never got an answer (fetch rejects; its TypeError comes from another realm).
  const outcome = (await pending) as { status?: unknown; message?: string };
  expect(typeof outcome.status).toBe('undefined');
  expect(outcome.message).toMatch(/fetch failed/);

  // The half-received body is still on disk, next to the database; the next start removes it.
  const uploads = path.join(`${dbFile}.uploads`);
  const leftovers = () => fs.readdirSync(uploads).filter((n) => n.startsWith('driftql-upload-'));
  expect(leftovers().length).toBeGreaterThan(0);
  fs.writeFileSync(path.join(uploads, 'not-ours.txt'), 'kept');

  s = await restart();
  expect(leftovers()).toEqual([]);
  expect(fs.readFileSync(path.join(uploads, 'not-ours.txt'), 'utf8')).toBe('kept');
  expect(await datasets(s)).not.toContain('slow');
  const { seen: finished } = await pushUntil(s, archive, ['done', 'failed']);
  expect(finished.status).toBe('succeeded');
  expect(await datasets(s)).toContain('slow');
});
