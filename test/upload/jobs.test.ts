/**
 * Ingest jobs: recorded in the catalogue, run one at a time in order through ingestBundle, with
 * the same outcome (result or problems) a local ingest has, and failed on restart when a
 * previous process left them unfinished.
 */
import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import path from 'node:path';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { ingestJobs } from '../../src/db/schema';
import { BundleError } from '../../src/ingest/errors';
import { ingestBundle } from '../../src/ingest/ingest';
import { INTERRUPTED, JobService, canSeeJob, progressOf, type IngestJob } from '../../src/upload/jobs';
import { tempDir } from '../helpers/tmp';
import { brokenBundle, validBundle } from './bundles';

describe('JobService', () => {
  const dir = tempDir();
  let db: DriftDb;
  let jobs: JobService;
  let n = 0;
  const fresh = () => path.join(dir, `b${n++}`);
  const base = { lab: 'lab-a', dataset: 'small', keyId: 7, replace: false, dryRun: false };
  const datasetCount = async () => Number((await db.query('SELECT count(*) AS n FROM datasets'))[0]!.n);

  beforeAll(async () => {
    db = await DriftDb.open(path.join(dir, 'jobs.duckdb'));
    await migrate(db);
    jobs = new JobService(db, { progressIntervalMs: 0 });
  });
  afterAll(() => db.close());

  it('queues a job, runs it through ingestBundle and removes its folder', async () => {
    const bundleDir = validBundle(fresh(), { version: '1' });
    const job = await jobs.create({ ...base, version: '1', bundleDir });
    expect(job).toMatchObject({ status: 'queued', lab: 'lab-a', dataset: 'small', version: '1', keyId: 7, problems: [], result: null });
    await jobs.idle();
    const done = (await jobs.get(job.id))!;
    expect(done.status).toBe('succeeded');
    expect(done.result).toMatchObject({ status: 'ingested', lab: 'lab-a', dataset: 'small', version: '1', runs: 2 });
    expect(done.progress).toMatchObject({ phase: 'done', rows: done.result!.observations });
    expect(done.startedAt && done.finishedAt).toBeTruthy();
    expect(fs.existsSync(bundleDir)).toBe(false);
    expect(await datasetCount()).toBe(1);
  });

  it('fails a broken bundle with the problems a local ingest reports, writing nothing', async () => {
    const local = await DriftDb.open(path.join(dir, 'local.duckdb'));
    let expected: BundleError | undefined;
    try {
      await migrate(local);
      await ingestBundle(local, brokenBundle(fresh(), { version: '2' })).catch((e: unknown) => (expected = e as BundleError));
    } finally {
      await local.close();
    }
    expect(expected).toBeInstanceOf(BundleError);
    expect(expected!.problems.length).toBeGreaterThanOrEqual(2);

    const job = await jobs.create({ ...base, version: '2', bundleDir: brokenBundle(fresh(), { version: '2' }) });
    await jobs.idle();
    const failed = (await jobs.get(job.id))!;
    expect(failed.status).toBe('failed');
    expect(failed.problems).toEqual(JSON.parse(JSON.stringify(expected!.problems)));
    expect(failed.problems[0]).toMatchObject({ file: 'observations.csv', line: expect.any(Number), field: expect.any(String) });
    expect(failed.error).toBe(expected!.message);
    expect(failed.progress.phase).toBe('failed');
    expect(await datasetCount()).toBe(1);
  });

  it('a dry run checks everything and writes nothing', async () => {
    const job = await jobs.create({ ...base, version: '3', dryRun: true, bundleDir: validBundle(fresh(), { version: '3' }) });
    await jobs.idle();
    expect(await jobs.get(job.id)).toMatchObject({ status: 'succeeded', result: { status: 'validated' } });
    expect(await datasetCount()).toBe(1);
  });

  it('runs jobs one at a time in order of arrival, across services on one database', async () => {
    const other = new JobService(db);
    const a = await jobs.create({ ...base, version: '4', bundleDir: validBundle(fresh(), { version: '4' }) });
    const b = await other.create({ ...base, version: '5', bundleDir: validBundle(fresh(), { version: '5' }) });
    const c = await jobs.create({ ...base, version: '6', bundleDir: validBundle(fresh(), { version: '6' }) });
    await Promise.all([jobs.idle(), other.idle()]);
    const [ja, jb, jc] = (await Promise.all([a, b, c].map((j) => jobs.get(j.id)))) as IngestJob[];
    for (const j of [ja, jb, jc]) expect(j!.status).toBe('succeeded');
    expect(Date.parse(jb!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(ja!.finishedAt!));
    expect(Date.parse(jc!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(jb!.finishedAt!));
    expect((await jobs.list({ lab: 'lab-a', limit: 3 })).map((j) => j.version)).toEqual(['6', '5', '4']);
  });

  it('writes progress no more often than asked', async () => {
    const slow = new JobService(db, { progressIntervalMs: 60_000 });
    const seen: IngestJob[] = [];
    const job = await slow.create({ ...base, version: '7', bundleDir: validBundle(fresh(), { version: '7' }) });
    const stop = slow.subscribe(job.id, (j) => seen.push(j));
    await slow.idle();
    stop();
    // 'running' with its first message, 'committing' (always written, before the commit), then
    // the end: every message between waits for the interval.
    expect(seen.map((j) => [j.status, j.progress.phase])).toEqual([
      ['running', 'reading'],
      ['running', 'committing'],
      ['succeeded', 'done'],
    ]);

    const fast = new JobService(db, { progressIntervalMs: 0 });
    const all: IngestJob[] = [];
    const job2 = await fast.create({ ...base, version: '8', bundleDir: validBundle(fresh(), { version: '8' }) });
    fast.subscribe(job2.id, (j) => all.push(j));
    await fast.idle();
    expect(all.length).toBeGreaterThan(3);
    expect(all.map((j) => j.progress.phase)).toEqual(expect.arrayContaining(['reading', 'writing', 'aggregating', 'committing', 'done']));
  });

  it('at start, fails every job a previous process left queued or running, and removes its folder', async () => {
    const left = [fresh(), fresh()];
    for (const d of left) fs.mkdirSync(d);
    const now = new Date();
    await db.orm.insert(ingestJobs).values([
      { ...base, id: '00000000-0000-4000-8000-000000000001', version: '9', status: 'running', workDir: left[0], createdAt: now },
      { ...base, id: '00000000-0000-4000-8000-000000000002', version: '9', status: 'queued', workDir: left[1], createdAt: now },
    ]);
    expect(await new JobService(db).recoverInterrupted()).toBe(2);
    for (const id of ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002']) {
      expect(await jobs.get(id)).toMatchObject({ status: 'failed', error: INTERRUPTED, progress: { phase: 'failed' } });
    }
    for (const d of left) expect(fs.existsSync(d)).toBe(false);
    expect(await new JobService(db).recoverInterrupted()).toBe(0);
  });

  it('finishes a job whose ingest committed before a restart as succeeded, from the outcome its transaction wrote', async () => {
    const job = await jobs.create({ ...base, dataset: 'committed', version: '1', bundleDir: validBundle(fresh(), { name: 'committed' }) });
    await jobs.idle();
    const done = (await jobs.get(job.id))!;
    expect(done.status).toBe('succeeded');
    const outcomes = await db.query('SELECT job_id, result FROM ingest_outcomes WHERE job_id = $1', [job.id]);
    expect(outcomes).toHaveLength(1);
    // The crash window: committed, but the job row still says running.
    await db.orm.update(ingestJobs).set({ status: 'running', result: null, finishedAt: null }).where(eq(ingestJobs.id, job.id));
    expect(await new JobService(db).recoverInterrupted()).toBe(1);
    expect(await jobs.get(job.id)).toMatchObject({
      status: 'succeeded',
      error: null,
      result: done.result,
      progress: { phase: 'done', rows: done.result!.observations },
    });
  });

  it('writes no outcome for a dry run or a failed ingest', async () => {
    const before = Number((await db.query('SELECT count(*) AS n FROM ingest_outcomes'))[0]!.n);
    const dry = await jobs.create({
      ...base,
      dataset: 'dry',
      version: '1',
      dryRun: true,
      bundleDir: validBundle(fresh(), { name: 'dry' }),
    });
    const broken = await jobs.create({ ...base, version: '8', bundleDir: brokenBundle(fresh(), { version: '8' }) });
    await jobs.idle();
    expect((await jobs.get(dry.id))!.status).toBe('succeeded');
    expect((await jobs.get(broken.id))!.status).toBe('failed');
    expect(Number((await db.query('SELECT count(*) AS n FROM ingest_outcomes'))[0]!.n)).toBe(before);
  });

  it('shows a job to admins and keys of its lab only', () => {
    const job = { lab: 'lab-a' };
    expect(canSeeJob({ kind: 'anonymous' }, job)).toBe(false);
    expect(canSeeJob({ kind: 'key', keyId: 1, lab: 'lab-b', role: 'writer', name: null }, job)).toBe(false);
    expect(canSeeJob({ kind: 'key', keyId: 1, lab: 'lab-a', role: 'reader', name: null }, job)).toBe(true);
    expect(canSeeJob({ kind: 'key', keyId: 1, lab: 'lab-b', role: 'admin', name: null }, job)).toBe(true);
  });

  it('reads phase and rows from ingest messages', () => {
    let p = progressOf('reading 1 file', { phase: 'queued', rows: null, message: '' });
    expect(p).toEqual({ phase: 'reading', rows: null, message: 'reading 1 file' });
    p = progressOf('read 1,234 rows; all valid', p);
    expect(p).toMatchObject({ phase: 'reading', rows: 1234 });
    p = progressOf('writing 1,234 observations', p);
    expect(p).toMatchObject({ phase: 'writing', rows: 1234 });
    expect(progressOf('problems found: re-reading', p).phase).toBe('diagnosing');
  });
});
