/**
 * `driftql validate <bundle-dir>`: every check ingest makes, in memory. It prints what ingest
 * would load, or the same problems ingest prints, and never opens or creates a database file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CANONICAL, smallBundle, toCsv, writeBundle } from '../helpers/bundles';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';
import { snapshotFile } from '../ingest/db-snapshot';

const root = tempDir('driftql-cli-validate-');
const drift = (...args: string[]) => runCli(root, args);
/** Database files outside dbs/, where the ingests that the validations are compared with write. */
const duckdbFiles = () => fs.readdirSync(root).filter((f) => f.includes('.duckdb'));

it('a valid bundle: exit 0, the counts ingest would report, no database file', () => {
  const dir = writeBundle(path.join(root, 'valid'), smallBundle({ lab: 'lab-v', name: 'ok' }));
  const r = drift('validate', dir);
  expect(r.stderr).not.toMatch(/error/i);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(
    /^valid: lab-v\/ok v1 would ingest 2 runs, 2 topics, 4 prompts, 80 observations from 1 file \(checked in [\d.]+ s; nothing written\)$/m,
  );
  expect(duckdbFiles()).toEqual([]); // not even $DRIFT_DB
});

it('a broken bundle: exit 1 and exactly the problems ingest reports; the database is untouched', async () => {
  const b = smallBundle({ lab: 'lab-v', name: 'broken', seed: 3 });
  b.rows[4]!.p_neutral = -0.2;
  b.rows[7]!.run_id = 'nobody';
  const dir = writeBundle(path.join(root, 'broken'), { manifest: b.manifest, files: { 'observations.csv': toCsv(b.rows, CANONICAL) } });

  const validated = drift('validate', dir, '--quiet');
  expect(validated.status).toBe(1);
  expect(validated.stdout).toBe('');
  expect(validated.stderr).toMatch(/^error: bundle refused \(\d+ problems\); nothing was written:$/m);
  expect(validated.stderr).toContain('observations.csv, line 6, field p_neutral');
  expect(validated.stderr).toContain('observations.csv, line 9, field run_id');
  expect(validated.stderr).not.toMatch(/^\s+at /m);
  expect(duckdbFiles()).toEqual([]);

  const dbFile = path.join(root, 'dbs', 'real.duckdb');
  expect(drift('migrate', '--db', dbFile).status).toBe(0);
  const before = await snapshotFile(dbFile);
  const ingested = drift('ingest', dir, '--db', dbFile, '--quiet');
  expect(ingested.status).toBe(1);
  expect(ingested.stderr).toBe(validated.stderr);
  expect(await snapshotFile(dbFile)).toEqual(before);
});

it('a duplicate observation, found only by trying the write, is found too', () => {
  const b = smallBundle({ lab: 'lab-v', name: 'dup', seed: 4 });
  b.rows.push({ ...b.rows[0]! });
  const dir = writeBundle(path.join(root, 'dup'), { manifest: b.manifest, files: { 'observations.csv': toCsv(b.rows, CANONICAL) } });
  const r = drift('validate', dir, '--quiet');
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^error: bundle refused \(1 problem\); nothing was written:$/m);
  expect(r.stderr).toMatch(/duplicate/i);
  expect(r.stderr).toBe(drift('ingest', dir, '--db', path.join(root, 'dbs', 'dup.duckdb'), '--quiet').stderr);
  expect(duckdbFiles()).toEqual([]);
});

it('a folder that is not a bundle: the same error ingest gives', () => {
  const missing = path.join(root, 'no-such-bundle');
  const r = drift('validate', missing);
  expect(r.status).toBe(1);
  expect(r.stderr).toBe(drift('ingest', missing).stderr);
  expect(r.stderr).toContain(missing);
  expect(duckdbFiles()).toEqual([]);
});
