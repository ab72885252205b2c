/**
 * The built CLI, run as a user would: `node dist/src/cli.js ingest <dir> --db <file>`. jest's
 * global setup (test/global-setup.js) builds dist/ when it is stale.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../src/paths';
import { CANONICAL, smallBundle, toCsv, writeBundle } from '../helpers/bundles';
import { tempDir } from '../helpers/tmp';
import { rowCounts, snapshotFile } from './db-snapshot';

const root = tempDir('driftql-cli-');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const dbFile = path.join(root, 'cli.duckdb');

function drift(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    // never the developer's ./data/drift.duckdb, whatever the arguments
    env: { ...process.env, DRIFT_DB: path.join(root, 'default.duckdb'), UV_THREADPOOL_SIZE: '8' },
  });
}

const valid = writeBundle(path.join(root, 'valid'), smallBundle({ lab: 'lab-a', name: 'small', seed: 1 }));

describe('drift CLI', () => {
  it('--help lists ingest and seed', () => {
    const r = drift('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\s*ingest\b/m);
    expect(r.stdout).toMatch(/^\s*seed\b/m);
    const sub = drift('ingest', '--help');
    expect(sub.status).toBe(0);
    expect(sub.stdout).toContain('<bundle-dir>');
    expect(sub.stdout).toContain('--db');
    expect(sub.stdout).toContain('--replace');
  });

  it('ingest <dir> --db <file> exits 0 and says what it ingested', async () => {
    const r = drift('ingest', valid, '--db', dbFile);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ingested: lab-a\/small v1: 2 runs, 2 topics, 4 prompts, 80 observations from 1 file in [\d.]+ s$/m);
    expect(rowCounts(await snapshotFile(dbFile))).toMatchObject({ labs: 1, datasets: 1, runs: 2, observations: 80 });
  });

  it('the same bundle again: exit 0, "unchanged", nothing written', async () => {
    const before = await snapshotFile(dbFile);
    const r = drift('ingest', valid, '--db', dbFile);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^unchanged: lab-a\/small v1 is already loaded with identical content/m);
    expect(await snapshotFile(dbFile)).toEqual(before);
  });

  it('a broken bundle: non-zero exit, stderr names file, line and field, database unchanged', async () => {
    const b = smallBundle({ lab: 'lab-a', name: 'other', seed: 5 });
    b.rows[6]!.p_support = 1.7;
    b.rows[6]!.p_oppose = 0;
    b.rows[9]!.stage = 'ppo';
    const dir = writeBundle(path.join(root, 'broken'), { manifest: b.manifest, files: { 'observations.csv': toCsv(b.rows, CANONICAL) } });
    const before = await snapshotFile(dbFile);
    const r = drift('ingest', dir, '--db', dbFile);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('observations.csv, line 8, field p_support: "1.7" is outside [0, 1]');
    expect(r.stderr).toContain('observations.csv, line 11, field stage: run "m.s0" has no stage "ppo"');
    expect(r.stderr).toMatch(/nothing was written/);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(r.stdout).toBe('');
    expect(await snapshotFile(dbFile)).toEqual(before);
  });

  it('a broken bundle aimed at a new --db file leaves no file behind', () => {
    const b = smallBundle({ lab: 'lab-a', name: 'nowhere', seed: 5 });
    b.rows[2]!.step = -1;
    const dir = writeBundle(path.join(root, 'broken-new'), {
      manifest: b.manifest,
      files: { 'observations.csv': toCsv(b.rows, CANONICAL) },
    });
    const target = path.join(root, 'never-created.duckdb');
    const r = drift('ingest', dir, '--db', target);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('field step');
    expect(fs.existsSync(target)).toBe(false);
    expect(fs.existsSync(`${target}.wal`)).toBe(false);
    expect(fs.readdirSync(root).filter((f) => f.startsWith('never-created'))).toEqual([]); // no temporary file either
  });

  it('a changed bundle under the same version: non-zero exit pointing at --replace; --replace replaces', async () => {
    const changed = writeBundle(path.join(root, 'changed'), smallBundle({ lab: 'lab-a', name: 'small', seed: 99 }));
    const before = await snapshotFile(dbFile);
    const refused = drift('ingest', changed, '--db', dbFile);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/already loaded with different content/);
    expect(refused.stderr).toContain('--replace');
    expect(await snapshotFile(dbFile)).toEqual(before);

    const replaced = drift('ingest', changed, '--db', dbFile, '--replace');
    expect(replaced.status).toBe(0);
    expect(replaced.stdout).toMatch(/^replaced: lab-a\/small v1: 2 runs, 2 topics, 4 prompts, 80 observations/m);
    expect(rowCounts(await snapshotFile(dbFile))).toMatchObject({ labs: 1, datasets: 1, runs: 2, stages: 6, prompts: 4, observations: 80 });
  });

  it('ingest of a folder that does not exist: clear error, non-zero exit', () => {
    const missing = path.join(root, 'no-such-bundle');
    const r = drift('ingest', missing, '--db', dbFile);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).toMatch(/is not a directory|does not exist|not found/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  });

  it('ingest without a folder: usage error, non-zero exit', () => {
    const r = drift('ingest', '--db', dbFile);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/missing required argument/i);
  });
});
