/**
 * The driftql command as installed: help, version, `datasets list`, and what it says when another
 * process holds the database file. Real processes, real DuckDB files.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../src/paths';
import { smallBundle, writeBundle } from '../helpers/bundles';
import { CLI, cliEnv, holdDatabase, runCli, type Holder } from '../helpers/cli';
import { tempDir } from '../helpers/tmp';
import { snapshotFile } from '../ingest/db-snapshot';

const root = tempDir('driftql-cli-cmd-');
const drift = (...args: string[]) => runCli(root, args);
const LOCKED = /is in use by another driftql process \(the server or another ingest\); stop it or wait/;

let holder: Holder | undefined;
afterEach(async () => {
  await holder?.release();
  holder = undefined;
});

describe('help and version', () => {
  it('--help names the command driftql and lists every command', () => {
    const r = drift('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: driftql /m);
    for (const cmd of ['ingest', 'validate', 'datasets', 'seed', 'migrate']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    const list = drift('datasets', 'list', '--help');
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^Usage: driftql datasets list /m);
    expect(list.stdout).toContain('--json');
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = drift('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('--help loads neither DuckDB nor the GraphQL server', () => {
    const trace = path.join(root, 'trace-requires.js');
    const out = path.join(root, 'loaded.json');
    fs.writeFileSync(
      trace,
      `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));`,
    );
    const r = spawnSync(process.execPath, ['-r', trace, CLI, '--help'], { cwd: root, encoding: 'utf8', env: cliEnv(root) });
    expect(r.status).toBe(0);
    const loaded = JSON.parse(fs.readFileSync(out, 'utf8')) as string[];
    expect(loaded.some((f) => f.includes('commander'))).toBe(true);
    expect(loaded.filter((f) => /@duckdb|@apollo|type-graphql|drizzle-orm|[\\/]zod[\\/]/.test(f))).toEqual([]);
  });

  it('the built CLI is executable and starts with a shebang', () => {
    expect(fs.readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(fs.statSync(CLI).mode & 0o111).not.toBe(0);
  });
});

describe('datasets list', () => {
  const dbFile = path.join(root, 'list.duckdb');

  beforeAll(() => {
    for (const [name, seed] of [
      ['beta', 1],
      ['alpha', 2],
    ] as const) {
      const dir = writeBundle(path.join(root, name), smallBundle({ lab: 'lab-z', name, seed }));
      const r = drift('ingest', dir, '--db', dbFile, '--quiet');
      expect(r.status).toBe(0);
    }
  });

  it('prints a table: lab, name, version, visibility, runs, observations, ingested at, id', async () => {
    const before = await snapshotFile(dbFile);
    const r = drift('datasets', 'list', '--db', dbFile);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['LAB', 'NAME', 'VERSION', 'VISIBILITY', 'RUNS', 'OBSERVATIONS', 'INGESTED AT', 'ID']);
    expect(lines.slice(1).map((l) => l.split(/\s+/))).toEqual([
      ['lab-z', 'alpha', '1', 'public', '2', '80', expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), '2'],
      ['lab-z', 'beta', '1', 'public', '2', '80', expect.stringMatching(/^\d{4}-\d\d-\d\dT/), '1'],
    ]);
    expect(await snapshotFile(dbFile)).toEqual(before); // read-only: nothing changed
  });

  it('--json prints the same rows as JSON', () => {
    const r = drift('datasets', 'list', '--db', dbFile, '--json');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows).toEqual([
      expect.objectContaining({
        id: 2,
        lab: 'lab-z',
        name: 'alpha',
        version: '1',
        visibility: 'public',
        runCount: 2,
        observationCount: 80,
      }),
      expect.objectContaining({ id: 1, lab: 'lab-z', name: 'beta', runCount: 2, observationCount: 80 }),
    ]);
    expect(Date.parse(rows[0]!.ingestedAt as string)).not.toBeNaN();
  });

  it('migrate creates an empty database, which lists nothing; a missing file is a clear error and is not created', () => {
    const empty = path.join(root, 'empty.duckdb');
    const migrations = fs.readdirSync(path.join(ROOT, 'migrations')).filter((f) => f.endsWith('.sql')).length;
    expect(drift('migrate', '--db', empty)).toMatchObject({ status: 0, stdout: `migrations: ${migrations} applied, 0 already applied\n` });
    expect(drift('migrate', '--db', empty)).toMatchObject({ status: 0, stdout: `migrations: 0 applied, ${migrations} already applied\n` });
    expect(drift('datasets', 'list', '--db', empty)).toMatchObject({ status: 0, stdout: `no datasets in ${empty}\n` });
    expect(JSON.parse(drift('datasets', 'list', '--db', empty, '--json').stdout)).toEqual([]);

    const missing = path.join(root, 'missing.duckdb');
    const r = drift('datasets', 'list', '--db', missing);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${missing} does not exist`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('while another process has the file open for writing: says so, and how to ask the server instead', async () => {
    holder = await holdDatabase(dbFile);
    const r = drift('datasets', 'list', '--db', dbFile);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(LOCKED);
    expect(r.stderr).toContain('{ datasets {');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('a database file held by another process', () => {
  it('ingest, seed and migrate refuse with a plain message and leave the file as it was', async () => {
    const dbFile = path.join(root, 'held.duckdb');
    const bundle = writeBundle(path.join(root, 'held-bundle'), smallBundle({ lab: 'lab-h', name: 'held' }));
    expect(drift('ingest', bundle, '--db', dbFile, '--quiet').status).toBe(0);
    const before = await snapshotFile(dbFile);
    const other = writeBundle(path.join(root, 'held-other'), smallBundle({ lab: 'lab-h', name: 'other' }));
    holder = await holdDatabase(dbFile);
    for (const args of [['ingest', other], ['seed'], ['migrate']]) {
      const r = drift(...args, '--db', dbFile);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^error: ${dbFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ${LOCKED.source}$`, 'm'));
      expect(r.stderr).not.toMatch(/Could not set lock|^\s+at /m);
      expect(r.stdout).toBe('');
    }
    await holder.release();
    holder = undefined;
    expect(await snapshotFile(dbFile)).toEqual(before);
  });
});
