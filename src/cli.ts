#!/usr/bin/env node
/** `npm run drift -- <command>`: ingest bundles, load the demo seed, migrate. */
import { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, loadDotEnv } from './config';
import { DriftDb } from './db/client';
import { migrate } from './db/migrate';
import { BundleError, ConflictError } from './ingest/errors';
import { ingestBundle, type IngestResult } from './ingest/ingest';
import { readManifest } from './ingest/manifest';
import { loadDemo } from './seed';

function describe(r: IngestResult): string {
  const what = `${r.lab}/${r.dataset} v${r.version}`;
  if (r.status === 'unchanged') {
    return `unchanged: ${what} is already loaded with identical content (sha256 ${r.contentHash.slice(0, 12)}); nothing written`;
  }
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    `${r.status}: ${what}: ${n(r.runs)} runs, ${n(r.topics)} topics, ${n(r.prompts)} prompts, ` +
    `${n(r.observations)} observations from ${r.files} file${r.files === 1 ? '' : 's'} in ${r.seconds.toFixed(1)} s`
  );
}

async function withDb<T>(dbFile: string | undefined, fn: (db: DriftDb) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await DriftDb.open(dbFile ?? config.dbPath, { readConnections: 1, memoryLimit: config.DRIFT_MEMORY_LIMIT });
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

loadDotEnv();

const progress = (msg: string) => process.stderr.write(`  ${msg}\n`);

const program = new Command()
  .name('drift')
  .description('driftql command line: load drift-trace/v1 bundles into the DuckDB file the server reads')
  .showHelpAfterError();

program
  .command('ingest')
  .description('validate a drift-trace/v1 bundle and load it, all or nothing')
  .argument('<bundle-dir>', 'folder holding manifest.json and the observation files')
  .option('--db <file>', 'DuckDB file (default: $DRIFT_DB or ./data/drift.duckdb)')
  .option('--replace', 'replace a loaded dataset with the same lab, name and version but different content')
  .option('--quiet', 'no progress output')
  .action(async (dir: string, opts: { db?: string; replace?: boolean; quiet?: boolean }) => {
    readManifest(dir); // refuse a bad manifest before creating or opening any database file
    const file = path.resolve(opts.db ?? loadConfig().dbPath);
    const existed = fs.existsSync(file);
    try {
      const result = await withDb(file, (db) =>
        ingestBundle(db, dir, { replace: opts.replace, progress: opts.quiet ? undefined : progress }),
      );
      console.log(describe(result));
    } catch (err) {
      // A refused bundle leaves no trace, not even the empty database file it would have gone into.
      if (!existed) for (const f of [file, `${file}.wal`]) fs.rmSync(f, { force: true });
      throw err;
    }
  });

program
  .command('seed')
  .description('generate the deterministic demo bundle and load it')
  .option('--db <file>', 'DuckDB file (default: $DRIFT_DB or ./data/drift.duckdb)')
  .option('--out <dir>', 'also keep the generated bundle in this folder')
  .action(async (opts: { db?: string; out?: string }) => {
    const result = await withDb(opts.db, (db) => loadDemo(db, { keepIn: opts.out, progress }));
    console.log(describe(result));
  });

program
  .command('migrate')
  .description('apply pending migrations (the server and ingest also do this on start)')
  .option('--db <file>', 'DuckDB file (default: $DRIFT_DB or ./data/drift.duckdb)')
  .action(async (opts: { db?: string }) => {
    const report = await withDb(opts.db, (db) => migrate(db));
    console.log(`migrations: ${report.applied.length} applied, ${report.alreadyApplied} already applied`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof BundleError || err instanceof ConflictError) {
    console.error(`error: ${err.message}`);
  } else {
    console.error(`error: ${(err as Error).message ?? String(err)}`);
    if (process.env.DEBUG) console.error((err as Error).stack);
  }
  process.exitCode = 1;
});
