/**
 * What the CLI commands do. src/cli.ts loads this module only once a command runs, so that
 * `driftql --help` and `--version` never load DuckDB.
 */
import { LOCAL_ADMIN, scopeOf } from '../auth/principal';
import { CatalogService, type DatasetRow } from '../services/catalog.service';
import { DatasetService } from '../services/datasets.service';
import type { DriftDb } from '../db/client';
import type { ClusterStorage } from '../db/cluster';
import { sqlIdent, sqlString } from '../db/sql';
import type { Storage } from '../db/storage';
import fs from 'node:fs';
import { ingestBundle, validateBundle, type IngestResult } from '../ingest/ingest';
import { readManifest } from '../ingest/manifest';
import { loadDemo } from '../seed';
import { clusterConfig, resolveDbFile, withCluster, withReadOnlyDb, withWritableDb } from './database';

type Progress = ((message: string) => void) | undefined;

const n = (x: number) => x.toLocaleString('en-US');

export function describe(r: IngestResult): string {
  const what = `${r.lab}/${r.dataset} v${r.version}`;
  const files = `${r.files} file${r.files === 1 ? '' : 's'}`;
  if (r.status === 'validated') {
    return (
      `valid: ${what} would ingest ${n(r.runs)} runs, ${n(r.topics)} topics, ${n(r.prompts)} prompts, ` +
      `${n(r.observations)} observations from ${files} (checked in ${r.seconds.toFixed(1)} s; nothing written)`
    );
  }
  if (r.status === 'unchanged') {
    return `unchanged: ${what} is already loaded with identical content (sha256 ${r.contentHash.slice(0, 12)}); nothing written`;
  }
  return (
    `${r.status}: ${what}: ${n(r.runs)} runs, ${n(r.topics)} topics, ${n(r.prompts)} prompts, ` +
    `${n(r.observations)} observations from ${files} in ${r.seconds.toFixed(1)} s`
  );
}

export async function ingest(dir: string, opts: { db?: string; replace?: boolean }, progress: Progress): Promise<void> {
  readManifest(dir); // refuse a bad manifest before creating or opening any database file
  const cluster = clusterConfig(opts.db);
  if (cluster) {
    console.log(describe(await withCluster(cluster, (s) => s.ingest(dir, { replace: opts.replace, progress }))));
    return;
  }
  const file = resolveDbFile(opts.db);
  const result = await withWritableDb(file, (db) => ingestBundle(db, dir, { replace: opts.replace, progress }), progress);
  console.log(describe(result));
}

/** Every check `ingest` makes, in a private in-memory database: no database file is opened. */
export async function validate(dir: string, progress: Progress): Promise<void> {
  console.log(describe(await validateBundle(dir, { progress })));
}

export async function seed(opts: { db?: string; out?: string }, progress: Progress): Promise<void> {
  const cluster = clusterConfig(opts.db);
  if (cluster) {
    console.log(describe(await withCluster(cluster, (s) => loadDemo(s, { keepIn: opts.out, progress }))));
    return;
  }
  const file = resolveDbFile(opts.db);
  const result = await withWritableDb(file, (db) => loadDemo(db, { keepIn: opts.out, progress }), progress);
  console.log(describe(result));
}

export async function migrateCommand(opts: { db?: string }): Promise<void> {
  const cluster = clusterConfig(opts.db);
  if (cluster) {
    // Opening the cluster's storage migrates its catalogue (as every replica does on start).
    await withCluster(cluster, async () => undefined);
    console.log('the cluster catalogue is migrated');
    return;
  }
  const file = resolveDbFile(opts.db);
  // Opening the file applies pending migrations; report what that did.
  const report = await withWritableDb(file, async (_db, migrations) => migrations);
  console.log(`migrations: ${report.applied.length} applied, ${report.alreadyApplied} already applied`);
}

const COLUMNS: { title: string; value: (d: DatasetRow) => string; right?: boolean }[] = [
  { title: 'LAB', value: (d) => d.lab },
  { title: 'NAME', value: (d) => d.name },
  { title: 'VERSION', value: (d) => d.version },
  { title: 'VISIBILITY', value: (d) => d.visibility },
  { title: 'RUNS', value: (d) => n(d.runCount), right: true },
  { title: 'OBSERVATIONS', value: (d) => n(d.observationCount), right: true },
  { title: 'INGESTED AT', value: (d) => d.ingestedAt.replace(/\.\d+Z$/, 'Z') },
  { title: 'ID', value: (d) => String(d.id), right: true },
];

export function datasetTable(rows: DatasetRow[]): string {
  const cells = [COLUMNS.map((c) => c.title), ...rows.map((d) => COLUMNS.map((c) => c.value(d)))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells
    .map((r) =>
      r
        .map((cell, i) => (COLUMNS[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export async function datasetsList(opts: { db?: string; json?: boolean }): Promise<void> {
  const cluster = clusterConfig(opts.db);
  const file = cluster ? 'the cluster catalogue' : resolveDbFile(opts.db);
  const read = async (db: DriftDb): Promise<DatasetRow[]> => {
    const [table] = await db.query(`SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'datasets'`);
    if (!Number(table?.n)) throw new Error(`${file} holds no driftql catalogue (no datasets table); is it the right --db?`);
    // The CLI holds the database file itself: it sees every lab's datasets, private ones included.
    return new CatalogService(db).scoped(scopeOf(LOCAL_ADMIN)).datasets();
  };
  const rows = cluster ? await withCluster(cluster, (s) => read(s.db)) : await withReadOnlyDb(file, read);
  if (opts.json) {
    const out = rows.map((d) => ({
      id: d.id,
      lab: d.lab,
      name: d.name,
      version: d.version,
      visibility: d.visibility,
      runCount: d.runCount,
      observationCount: d.observationCount,
      ingestedAt: d.ingestedAt,
    }));
    console.log(JSON.stringify(out, null, 2));
  } else if (rows.length === 0) {
    console.log(`no datasets in ${file}`);
  } else {
    console.log(datasetTable(rows));
  }
}

/** Deletes one dataset version with everything derived from it (the CLI holds the file: local operator). */
export async function datasetsDelete(id: string, opts: { db?: string }): Promise<void> {
  if (!/^\d+$/.test(id)) throw new Error(`dataset id must be a number (see \`driftql datasets list\`), got "${id}"`);
  const remove = (s: DriftDb | Storage) =>
    new DatasetService(s, new CatalogService('mode' in s ? s.db : s)).delete(LOCAL_ADMIN, Number(id));
  const cluster = clusterConfig(opts.db);
  const row = cluster ? await withCluster(cluster, remove) : await withWritableDb(resolveDbFile(opts.db), remove);
  console.log(
    `deleted dataset ${row.id}: ${row.lab}/${row.name} v${row.version} (${n(row.runCount)} runs, ${n(row.observationCount)} observations)`,
  );
}

/**
 * Rewrites the database file without the space deleted datasets left behind: DuckDB reuses that
 * space for later ingests but never shrinks the file. The copy is built beside the file and
 * swapped in only when complete, with the server stopped (the CLI must hold the file).
 */
export async function compact(opts: { db?: string }): Promise<void> {
  if (clusterConfig(opts.db)) {
    throw new Error(
      'compact rewrites a database file (--db); in cluster mode the lake holds no deleted rows, and the sweep removes the files of deleted versions',
    );
  }
  const file = resolveDbFile(opts.db);
  const copy = `${file}.compact-${process.pid}`;
  const before = fs.statSync(file).size;
  fs.rmSync(copy, { force: true });
  await withWritableDb(file, async (db) => {
    const [current] = await db.query('SELECT current_database() AS name');
    await db.withWriter(async (conn) => {
      await conn.run(`ATTACH ${sqlString(copy)} AS compacted`);
      try {
        await conn.run(`COPY FROM DATABASE ${sqlIdent(String(current!.name))} TO compacted`);
      } finally {
        await conn.run('DETACH compacted');
      }
    });
  });
  fs.renameSync(copy, file);
  fs.rmSync(`${file}.wal`, { force: true });
  const after = fs.statSync(file).size;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  console.log(`compacted ${file}: ${mib(before)} -> ${mib(after)}`);
}

/**
 * Copies an embedded database file (with the server stopped) into an empty cluster: the
 * catalogue to PostgreSQL, the facts to the lake. The file is only read.
 */
export async function migrateToCluster(opts: { db?: string; catalog?: string; lake?: string }, progress: Progress): Promise<void> {
  const { loadConfig } = await import('../config');
  const base = loadConfig();
  const catalog = opts.catalog ?? base.DRIFT_CATALOG_URL;
  const lake = opts.lake ?? base.DRIFT_LAKE;
  if (!catalog || !lake)
    throw new Error('name the cluster with --catalog <postgres url> and --lake <folder> (or DRIFT_CATALOG_URL and DRIFT_LAKE)');
  const file = resolveDbFile(opts.db);
  const config = { ...base, DRIFT_CATALOG_URL: catalog, DRIFT_LAKE: lake };
  const out = await withReadOnlyDb(file, (db) =>
    withCluster(config, (storage) => (storage as ClusterStorage).importEmbedded(db, progress ?? (() => undefined))),
  );
  console.log(
    `migrated ${file} into the cluster: ${n(out.datasets)} dataset version(s), ${n(out.keys)} API key(s); start replicas with DRIFT_CATALOG_URL and DRIFT_LAKE`,
  );
}
