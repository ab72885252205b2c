/**
 * Readers must not guess: JSON types are fixed (no rounding of later values to a type guessed
 * from early lines), CSV dialects are declared, label maps cannot contradict stance names.
 */
import path from 'node:path';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { BundleError } from '../../src/ingest/errors';
import { ingestBundle } from '../../src/ingest/ingest';
import { CANONICAL, clone, smallBundle, toCsv, toJsonl, writeBundle, type ObsRow } from '../helpers/bundles';
import { tempDir } from '../helpers/tmp';

const root = tempDir('driftql-robust-');
let db: DriftDb;
let n = 0;
const fresh = (content: Parameters<typeof writeBundle>[1]) => writeBundle(path.join(root, `b${n++}`), content);

beforeAll(async () => {
  db = await DriftDb.open(path.join(root, 'robust.duckdb'));
  await migrate(db);
});
afterAll(() => db.close());

it('JSONL: fractional probabilities after 25,000 integer ones are stored exactly', async () => {
  const b = smallBundle({ name: 'jsonl-types' });
  const rows: ObsRow[] = [];
  for (let i = 0; i < 25_000; i++) {
    rows.push({
      run_id: 'm.s0',
      stage: 'sft',
      step: Math.floor(i / 500),
      topic: 't',
      prompt_id: `P${i % 500}`,
      generation: 0,
      p_support: 1,
      p_neutral: 0,
      p_oppose: 0,
    });
  }
  for (let i = 0; i < 10; i++) {
    rows.push({
      run_id: 'm.s1',
      stage: 'po',
      step: 7,
      topic: 't',
      prompt_id: `P${i}`,
      generation: 0,
      p_support: 0.8,
      p_neutral: 0.15,
      p_oppose: 0.05,
    });
  }
  const manifest = clone(b.manifest);
  manifest.files = [{ path: 'obs.jsonl', format: 'jsonl' }];
  const r = await ingestBundle(db, fresh({ manifest, files: { 'obs.jsonl': toJsonl(rows) } }));
  expect(r.observations).toBe(rows.length);
  const got = await db.query(
    `SELECT DISTINCT p_support, p_neutral, p_oppose FROM observations o JOIN stages s ON s.id = o.stage_id WHERE o.run_id IN (SELECT id FROM runs WHERE dataset_id = $1) AND s.name = 'po'`,
    [r.datasetId],
  );
  expect(got).toEqual([{ p_support: 0.8, p_neutral: 0.15, p_oppose: 0.05 }]);
});

it('CSV: a ;-separated file without a declared delimiter is refused with a hint, and ingests once declared', async () => {
  const b = smallBundle({ name: 'semicolon' });
  const manifest = clone(b.manifest);
  const text = toCsv(b.rows, CANONICAL, ';');
  let caught: unknown;
  try {
    await ingestBundle(db, fresh({ manifest, files: { 'observations.csv': text } }));
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(BundleError);
  expect((caught as Error).message).toMatch(/header looks ;-separated: set "delimiter": ";"/);
  manifest.files[0]!.delimiter = ';';
  const r = await ingestBundle(db, fresh({ manifest, files: { 'observations.csv': text } }));
  expect(r.observations).toBe(b.rows.length);
});

it('stanceLabels may repeat a stance name as itself, but not map it to another stance', async () => {
  const b = smallBundle({ name: 'labels-repeat' });
  const manifest = clone(b.manifest);
  manifest.files = [{ path: 'labels.csv' }];
  manifest.stanceLabels = { PRO: 'support', support: 'support' };
  const rows = b.rows.map((r, i) => ({ ...r, stance: ['PRO', 'support', 'oppose'][i % 3] }));
  const files = { 'labels.csv': toCsv(rows, [...CANONICAL.slice(0, 6), 'stance']) };
  const r = await ingestBundle(db, fresh({ manifest, files }));
  expect(r.observations).toBe(rows.length);

  const bad = clone(manifest);
  bad.dataset.name = 'labels-contradict';
  bad.stanceLabels = { support: 'oppose' };
  await expect(ingestBundle(db, fresh({ manifest: bad, files }))).rejects.toThrow(
    /manifest\.json, field stanceLabels\.support: "support" is a stance name/,
  );
});

it('seeds beyond 32 bits are kept exactly; totalSteps beyond them are refused by field', async () => {
  const b = smallBundle({ name: 'big-seed' });
  const manifest = clone(b.manifest);
  manifest.runs[0]!.seed = 2 ** 40 + 3;
  const r = await ingestBundle(db, fresh({ manifest, files: b.files }));
  const [row] = await db.query(`SELECT seed FROM runs WHERE dataset_id = $1 AND key = $2`, [r.datasetId, manifest.runs[0]!.id]);
  expect(row!.seed).toBe(2 ** 40 + 3);

  const big = clone(b.manifest);
  big.dataset.name = 'big-steps';
  big.runs[0]!.stages[1]!.totalSteps = 2 ** 32;
  await expect(ingestBundle(db, fresh({ manifest: big, files: b.files }))).rejects.toThrow(
    /field runs\[0\]\.stages\[1\]\.totalSteps: must be at most 2147483647/,
  );
});

it('a NUL character in any manifest text is refused by field (the cluster catalogue cannot store one), and nothing is written', async () => {
  const b = smallBundle({ name: 'nul' });
  const manifest = clone(b.manifest);
  manifest.dataset.description = 'line one\u0000line two';
  const err = await ingestBundle(db, fresh({ manifest, files: b.files })).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BundleError);
  expect((err as BundleError).problems).toEqual([
    { file: 'manifest.json', field: 'dataset.description', message: expect.stringMatching(/holds a NUL character/) },
  ]);
  const [row] = await db.query(`SELECT count(*) AS n FROM datasets WHERE name = 'nul'`);
  expect(Number(row!.n)).toBe(0);
});
