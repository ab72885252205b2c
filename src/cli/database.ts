/**
 * How the CLI opens database files. DuckDB lets one process at a time open a file for writing
 * (and none read it meanwhile), so a second ingest or a running server makes an open fail: that
 * is reported plainly, never as DuckDB's lock error.
 *
 * A database file that does not exist yet is built under a temporary name beside it and moved
 * into place only once complete (a hard link, which fails rather than overwrite). So a refused
 * bundle never leaves a file behind, and two ingests racing to create the same file cannot
 * delete or overwrite each other's work: the second finds the file there and adds to it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config';
import { DriftDb } from '../db/client';
import { migrate, type MigrationReport } from '../db/migrate';
import type { Storage } from '../db/storage';

/** The database file is held by another process. */
export class DatabaseLockedError extends Error {}

export function lockedMessage(file: string): string {
  return `${file} is in use by another driftql process (the server or another ingest); stop it or wait`;
}

function isLockError(err: unknown): boolean {
  return /Could not set lock|another process holds it|Conflicting lock/i.test((err as Error)?.message ?? '');
}

/** The --db file, or $DRIFT_DB, or ./data/drift.duckdb, as an absolute path. */
export function resolveDbFile(dbOption: string | undefined): string {
  return path.resolve(dbOption ?? loadConfig().dbPath);
}

type WithDb<T> = (db: DriftDb, migrations: MigrationReport) => Promise<T>;

async function openMigrated(file: string): Promise<{ db: DriftDb; migrations: MigrationReport }> {
  let db: DriftDb;
  try {
    db = await DriftDb.open(file, { readConnections: 1, memoryLimit: loadConfig().DRIFT_MEMORY_LIMIT });
  } catch (err) {
    if (isLockError(err)) throw new DatabaseLockedError(lockedMessage(file));
    throw err;
  }
  try {
    return { db, migrations: await migrate(db) };
  } catch (err) {
    await db.close();
    throw err;
  }
}

async function withExisting<T>(file: string, fn: WithDb<T>): Promise<T> {
  const { db, migrations } = await openMigrated(file);
  try {
    return await fn(db, migrations);
  } finally {
    await db.close();
  }
}

function removeQuietly(files: string[]): void {
  for (const f of files) fs.rmSync(f, { force: true });
}

/** Moves a finished temporary file to `file` unless `file` exists by now; false if it does. */
function publish(temp: string, file: string): boolean {
  try {
    fs.linkSync(temp, file); // atomic, and never replaces an existing file
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
  }
  // A file system without hard links: an exclusive copy still never replaces an existing file.
  try {
    fs.copyFileSync(temp, file, fs.constants.COPYFILE_EXCL);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Opens `file` for writing, applies pending migrations, runs fn and closes it. When the file does
 * not exist, fn runs against a new file under a temporary name that replaces nothing: it becomes
 * `file` only if fn succeeds, and is removed otherwise. If another process created `file`
 * meanwhile, fn runs again against that file (whose other contents it leaves alone).
 */
export async function withWritableDb<T>(file: string, fn: WithDb<T>, notice?: (m: string) => void): Promise<T> {
  if (fs.existsSync(file)) return withExisting(file, fn);

  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.creating`;
  const tempFiles = [temp, `${temp}.wal`];
  try {
    const { db, migrations } = await openMigrated(temp);
    let result: T;
    try {
      result = await fn(db, migrations);
      await db.withWriter((c) => c.run('CHECKPOINT')); // everything in the main file, no WAL
    } finally {
      await db.close();
    }
    if (fs.existsSync(`${temp}.wal`)) throw new Error(`DuckDB left a write-ahead log beside ${temp}; nothing was moved to ${file}`);
    if (publish(temp, file)) return result;
    notice?.(`${file} was created by another process meanwhile; writing into it`);
    return await withExisting(file, fn);
  } finally {
    removeQuietly(tempFiles);
  }
}

/**
 * Opens an existing file read-only. DuckDB refuses this while another process has the file open
 * for writing (the server, an ingest).
 */
export async function withReadOnlyDb<T>(file: string, fn: (db: DriftDb) => Promise<T>): Promise<T> {
  if (!fs.existsSync(file)) {
    throw new Error(
      `${file} does not exist: nothing has been ingested there yet (\`driftql ingest <bundle-dir> --db ${file}\` creates it)`,
    );
  }
  let db: DriftDb;
  try {
    db = await DriftDb.open(file, { readConnections: 1, readOnly: true });
  } catch (err) {
    if (isLockError(err)) {
      throw new DatabaseLockedError(
        `${lockedMessage(file)}. DuckDB lets no other process read a file while one has it open for writing; ` +
          'while the server runs, ask it instead: { datasets { id lab name version visibility runCount observationCount ingestedAt } }',
      );
    }
    throw err;
  }
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * The configuration of cluster mode, when DRIFT_CATALOG_URL and DRIFT_LAKE are set (in the
 * environment or .env) and no --db names a file: then the CLI works on the shared catalogue, as
 * every replica does, and needs no server stopped.
 */
export function clusterConfig(dbOption: string | undefined): Config | undefined {
  if (dbOption !== undefined) return undefined;
  const config = loadConfig();
  return config.DRIFT_CATALOG_URL && config.DRIFT_LAKE ? config : undefined;
}

/** Opens the cluster's storage for one command (no listening, no sweeps) and closes it after. */
export async function withCluster<T>(config: Config, fn: (storage: Storage) => Promise<T>): Promise<T> {
  const { openStorage } = await import('../db/open');
  const { storage } = await openStorage(config, { background: false });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}
