/**
 * The storage seam. Everything above it (services, analytics, GraphQL, REST, jobs, keys) works
 * against this interface and does not know which mode runs:
 *
 * - embedded (default): one DuckDB file holds everything; this process is its only writer.
 * - cluster (DRIFT_CATALOG_URL + DRIFT_LAKE, see cluster.ts): PostgreSQL holds the catalogue,
 *   keys, jobs and the data version; each dataset version's facts are immutable Parquet files in
 *   the lake; each replica answers analytic queries from its own in-process DuckDB, whose fact
 *   tables are views over the published files.
 *
 * In both modes analytic SQL runs on DuckDB (`db`) with the same tables and columns, so every
 * query answers identically.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { DriftDb } from './client';
import { datasets } from './schema';
import { bumpDataVersion, dataVersion } from './version';
import { eq } from 'drizzle-orm';
import type { Visibility } from '../domain';
import { deleteDatasetRows, ingestBundle, type IngestResult } from '../ingest/ingest';

/** drizzle over the control tables (api_keys, ingest_jobs, ingest_outcomes), either dialect. */
export type ControlDb = PgDatabase<PgQueryResultHKT>;

export interface StorageIngestOptions {
  replace?: boolean;
  dryRun?: boolean;
  progress?: (message: string) => void;
  /**
   * The upload job this ingest runs for: its outcome (`ingest_outcomes`) is written by the same
   * transaction that makes the data visible, so a crash cannot separate the two.
   */
  jobId?: string;
  /** Called just before the data is committed (not on a dry run or an unchanged bundle). */
  onCommit?: (result: IngestResult) => Promise<void>;
}

export interface Storage {
  readonly mode: 'embedded' | 'cluster';
  /** The DuckDB that analytic and catalogue reads run on. */
  readonly db: DriftDb;
  /** The control tables, for single statements. */
  readonly control: ControlDb;
  /**
   * This process' name in job rows (cluster mode: a random id per replica start; embedded:
   * null, there is only one process).
   */
  readonly owner: string | null;
  /** Runs fn alone among the writers of `api_keys` of every process (ids are max + 1). */
  serializedKeys<T>(fn: (orm: ControlDb) => Promise<T>): Promise<T>;
  /** Ingests a bundle, all or nothing; in cluster mode one at a time across every replica. */
  ingest(dir: string, opts?: StorageIngestOptions): Promise<IngestResult>;
  /** Deletes a dataset version and everything derived from it. */
  deleteDataset(id: number): Promise<void>;
  setVisibility(id: number, visibility: Visibility): Promise<void>;
  /** The persistent data version (bumped by every change to the data). */
  dataVersion(): Promise<number>;
  /** True when no dataset exists. */
  isEmpty(): Promise<boolean>;
  /**
   * Whether a job left queued or running by `owner` belongs to a process that has stopped (so
   * nothing will finish it). Embedded mode asks only at start, when every such job is.
   */
  isOrphaned(owner: string | null): Promise<boolean>;
  /**
   * Throws ServiceUnavailableError while shared state cannot be reached (cluster mode, the
   * catalogue database is down); embedded mode is always available.
   */
  assertAvailable(): void;
  /** Registers work to run periodically (cluster mode: recovering jobs of stopped replicas). */
  onMaintenance(fn: () => Promise<void>): void;
  close(): Promise<void>;
}

/** One DuckDB file, written by this process only. */
export class EmbeddedStorage implements Storage {
  readonly mode = 'embedded' as const;
  readonly owner = null;
  readonly control: ControlDb;

  constructor(readonly db: DriftDb) {
    this.control = db.orm as unknown as ControlDb;
  }

  serializedKeys<T>(fn: (orm: ControlDb) => Promise<T>): Promise<T> {
    return this.db.withWriter((conn) => fn(this.db.ormOn(conn) as unknown as ControlDb));
  }

  ingest(dir: string, opts: StorageIngestOptions = {}): Promise<IngestResult> {
    return ingestBundle(this.db, dir, {
      replace: opts.replace,
      dryRun: opts.dryRun,
      progress: opts.progress,
      beforeCommit: async (conn, result) => {
        if (opts.jobId !== undefined) {
          await conn.run(`INSERT INTO ingest_outcomes (job_id, result, committed_at) VALUES ($1, $2, CAST($3 AS TIMESTAMP))`, [
            opts.jobId,
            JSON.stringify(result),
            new Date().toISOString().replace('T', ' ').replace('Z', ''),
          ]);
        }
        await opts.onCommit?.(result);
      },
    });
  }

  async deleteDataset(id: number): Promise<void> {
    await this.db.transaction(async (conn) => {
      await deleteDatasetRows(conn, id);
      await bumpDataVersion(conn);
    });
    // Caches key on the change counter: every cached answer that could include it is gone.
    this.db.noteChange();
  }

  async setVisibility(id: number, visibility: Visibility): Promise<void> {
    await this.db.transaction(async (conn) => {
      await this.db.ormOn(conn).update(datasets).set({ visibility }).where(eq(datasets.id, id));
      await bumpDataVersion(conn);
    });
    this.db.noteChange();
  }

  dataVersion(): Promise<number> {
    return dataVersion(this.db);
  }

  async isEmpty(): Promise<boolean> {
    const [row] = await this.db.query('SELECT count(*) AS n FROM datasets');
    return Number(row?.n ?? 0) === 0;
  }

  async isOrphaned(): Promise<boolean> {
    return true;
  }

  assertAvailable(): void {}

  onMaintenance(): void {}

  close(): Promise<void> {
    return this.db.close();
  }
}

const embedded = new WeakMap<DriftDb, EmbeddedStorage>();

/** The storage itself, or the embedded storage of a bare DuckDB database (one per database). */
export function asStorage(source: DriftDb | Storage): Storage {
  if ('mode' in source) return source;
  let storage = embedded.get(source);
  if (!storage) embedded.set(source, (storage = new EmbeddedStorage(source)));
  return storage;
}
