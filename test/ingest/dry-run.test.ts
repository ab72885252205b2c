/**
 * A dry run performs every check of a real ingest, duplicates included, and writes nothing.
 */
import path from 'node:path';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { BundleError } from '../../src/ingest/errors';
import { ingestBundle, validateBundle } from '../../src/ingest/ingest';
import { CANONICAL, clone, smallBundle, toCsv, writeBundle } from '../helpers/bundles';
import { tempDir } from '../helpers/tmp';
import { rowCounts, snapshot } from './db-snapshot';

const root = tempDir('driftql-dryrun-');
let db: DriftDb;
let n = 0;
const fresh = (content: Parameters<typeof writeBundle>[1]) => writeBundle(path.join(root, `b${n++}`), content);

async function refusal(p: Promise<unknown>): Promise<BundleError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(BundleError);
  return caught as BundleError;
}

beforeAll(async () => {
  db = await DriftDb.open(path.join(root, 'dry.duckdb'));
  await migrate(db);
});
afterAll(() => db.close());

it('a dry run of a valid bundle reports its counts and leaves the database as it was', async () => {
  const b = smallBundle({ name: 'dry' });
  const dir = fresh(b);
  const before = await snapshot(db);
  const r = await ingestBundle(db, dir, { dryRun: true });
  // 2 runs × (1 + 2 + 2 checkpoints) × 2 topics × 2 prompts × 2 generations
  expect(r).toMatchObject({ status: 'validated', runs: 2, topics: 2, prompts: 4, observations: 80, files: 1 });
  const after = await snapshot(db);
  expect(after).toEqual(before);
  expect(rowCounts(after).datasets).toBe(0);
  // the same bundle then ingests for real
  const real = await ingestBundle(db, dir);
  expect(real.status).toBe('ingested');
  expect(rowCounts(await snapshot(db))).toMatchObject({ datasets: 1, observations: 80 });
});

it('a dry run of a broken bundle gives the same problems as a real ingest', async () => {
  const b = smallBundle({ name: 'dry-broken' });
  b.rows[5]!.p_support = 3;
  b.rows[9]!.step = -1;
  const dir = fresh({ manifest: b.manifest, files: { 'observations.csv': toCsv(b.rows, CANONICAL) } });
  const before = await snapshot(db);
  const dry = await refusal(ingestBundle(db, dir, { dryRun: true }));
  const real = await refusal(ingestBundle(db, dir));
  expect(dry.problems).toEqual(real.problems);
  expect(dry.problems.map((p) => [p.line, p.field])).toEqual([
    [11, 'step'],
    [7, 'p_support'],
  ]);
  expect(await snapshot(db)).toEqual(before);
});

it('a dry run finds duplicate observations, which only the aggregation detects', async () => {
  const b = smallBundle({ name: 'dry-dup' });
  const rows = [...b.rows, { ...b.rows[3]! }];
  const dir = fresh({ manifest: b.manifest, files: { 'observations.csv': toCsv(rows, CANONICAL) } });
  const before = await snapshot(db);
  const dry = await refusal(ingestBundle(db, dir, { dryRun: true }));
  expect(dry.problems).toEqual([
    expect.objectContaining({ file: 'observations.csv', line: rows.length + 1, field: expect.stringContaining('generation') }),
  ]);
  expect(dry.problems).toEqual((await refusal(ingestBundle(db, dir))).problems);
  expect(await snapshot(db)).toEqual(before);
});

it('validateBundle checks a bundle in a database of its own, and may run several at once', async () => {
  const ok = fresh(smallBundle({ name: 'alone' }));
  const broken = smallBundle({ name: 'alone-broken' });
  const m = clone(broken.manifest);
  m.runs[0]!.stages[2]!.kind = 'rlhf';
  const bad = fresh({ manifest: m, files: broken.files });
  const before = await snapshot(db);
  const [a, b, c] = await Promise.allSettled([validateBundle(ok), validateBundle(bad), validateBundle(ok)]);
  expect(a.status === 'fulfilled' && a.value).toMatchObject({ status: 'validated', observations: 80, runs: 2 });
  expect(c.status === 'fulfilled' && c.value).toMatchObject({ status: 'validated', observations: 80 });
  expect(b.status).toBe('rejected');
  const err = (b as PromiseRejectedResult).reason as BundleError;
  expect(err).toBeInstanceOf(BundleError);
  expect(err.problems).toEqual([expect.objectContaining({ file: 'manifest.json', field: 'runs[0].stages[2].kind' })]);
  expect(await snapshot(db)).toEqual(before);
});
