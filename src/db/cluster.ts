/**
 * Cluster mode (DESIGN §5): a stateless replica. PostgreSQL (DRIFT_CATALOG_URL) holds the
 * catalogue, API keys, ingest jobs and the data version; the lake (DRIFT_LAKE, lake.ts) holds
 * the facts as immutable Parquet files. This replica answers every analytic query from its own
 * in-memory DuckDB: a mirror of the catalogue, checkpoint values loaded from the lake, and
 * views over the published files for the larger fact tables, all rebuilt in one DuckDB
 * transaction whenever the data version changes (queries see the data before or after, never
 * half).
 *
 * Coordination, all through PostgreSQL:
 * - The data version is bumped by every publishing transaction, which also NOTIFYs
 *   `driftql_data`; replicas LISTEN, and poll the version every DRIFT_POLL_MS as a fallback.
 * - Ingests, deletions and visibility changes take one advisory lock, so they run one at a time
 *   across the cluster: an ingest sees every earlier one, and two uploads of the same dataset
 *   identity end as in embedded mode (the second is `unchanged` or a CONFLICT).
 * - Each replica holds an advisory lock named after its id for as long as it lives; a job left
 *   queued or running by a replica whose lock is free will never finish, and is failed (or, if
 *   its data committed, finished) by whichever replica notices.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq, getTableColumns, isNull, lt, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Visibility } from '../domain';
import { ServiceUnavailableError, isUnavailable } from '../errors';
import { ingestBundle, type IngestResult } from '../ingest/ingest';
import { MIGRATIONS_DIR } from '../paths';
import { DriftDb, type OpenOptions } from './client';
import { FACT_TABLES, Lake, type LakeFile } from './lake';
import { migrate } from './migrate';
import * as schema from './schema';
import { sqlString } from './sql';
import type { ControlDb, Storage, StorageIngestOptions } from './storage';

/** Advisory lock keys (bigint form); the replica liveness locks use the two-int form. */
const INGEST_LOCK = 7_237_926_770_001n;
const KEYS_LOCK = 7_237_926_770_002n;
const MIGRATE_LOCK = 7_237_926_770_003n;
const LIVENESS_SPACE = 72_379_267;
const CHANNEL = 'driftql_data';
/** Longest wait for the ingest lock of a deletion, visibility or key change, in ms. */
const LOCK_WAIT_MS = 5000;
/** How long a replica's liveness lock must stay free before its jobs are taken for orphaned, in ms. */
const ORPHAN_CONFIRM_MS = 3000;

/** Catalogue tables mirrored into every replica's DuckDB, in insertion order. */
const CATALOGUE: [string, PgTable][] = [
  ['labs', schema.labs],
  ['topics', schema.topics],
  ['datasets', schema.datasets],
  ['runs', schema.runs],
  ['stages', schema.stages],
  ['prompts', schema.prompts],
];
/**
 * Checkpoint values (a few hundred thousand rows even at scale L) are read by every analytic
 * query: a replica holds them in memory, copied from the lake at each refresh, where a Parquet
 * view would decode the whole file for each query (one run's chart took 1.2-1.4x as long). The
 * observations and prompt means, large and read only by exports, stay views over the files.
 */
const LOADED = 'checkpoint_values';
const VIEWED = FACT_TABLES.filter((t) => t !== LOADED);
const FACT_SCHEMA = { observations: schema.observations, prompt_means: schema.promptMeans, checkpoint_values: schema.checkpointValues };
const BATCH = 500;

export interface ClusterOptions extends Pick<OpenOptions, 'memoryLimit' | 'threads' | 'readConnections' | 'queryTimeoutMs'> {
  /** postgres://... */
  catalogUrl: string;
  /** The lake folder, on storage every replica sees. */
  lake: string;
  /** Fallback poll of the data version, in ms (default 1000). */
  pollMs?: number;
  /** How long files of deleted versions stay for replicas that have not caught up, in ms (default 60 s). */
  retireGraceMs?: number;
  /** Period of the sweep and of recovering jobs of stopped replicas, in ms (default 5000). */
  maintenanceMs?: number;
  /** Listen, poll and sweep (a server); false for one-shot use such as the CLI. */
  background?: boolean;
}

interface Snapshot {
  version: number;
  rows: Map<string, Record<string, unknown>[]>;
  files: { path: string; tableName: string }[];
}

type Pg = NodePgDatabase<Record<string, never>>;

function columnsOf(table: PgTable): string[] {
  return Object.values(getTableColumns(table)).map((c) => c.name);
}

async function insertBatches(orm: { insert: ControlDb['insert'] }, table: PgTable, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await orm.insert(table).values(rows.slice(i, i + BATCH) as never);
}

export class ClusterStorage implements Storage {
  readonly mode = 'cluster' as const;
  readonly owner = crypto.randomUUID();
  readonly control: ControlDb;
  private readonly pg: Pg;
  private readonly lake: Lake;
  private version = -1;
  private snapshot: Snapshot | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private listener: pg.Client | undefined;
  private listening = false;
  private polledOk = true;
  private closed = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly maintenance: (() => Promise<void>)[] = [];
  private maintaining = false;
  private refreshFailure: string | undefined;
  private reconnecting = false;
  /** When the mirror was last known to hold the catalogue's current version (ms since epoch). */
  private confirmedAt = 0;
  /** Owners whose liveness lock was found free, and when first. */
  private readonly suspects = new Map<string, number>();

  private constructor(
    readonly db: DriftDb,
    private readonly pool: pg.Pool,
    private readonly opts: ClusterOptions,
  ) {
    this.pg = drizzle(pool);
    this.control = this.pg as unknown as ControlDb;
    this.lake = new Lake(path.resolve(opts.lake));
  }

  static async open(opts: ClusterOptions): Promise<ClusterStorage> {
    const pool = new pg.Pool({
      connectionString: opts.catalogUrl,
      max: 12,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    // A connection that PostgreSQL closes (a restart) must not bring the process down, whether
    // it is idle in the pool or checked out (pg-pool listens only to idle ones): the query on it
    // fails instead.
    const lost = (err: Error) => console.error(`[driftql] catalogue connection lost: ${err.message}`);
    pool.on('error', lost);
    pool.on('connect', (client) => client.on('error', lost));
    let db: DriftDb | undefined;
    try {
      await migrateCatalogue(pool);
      db = await DriftDb.open(':memory:', opts);
      await migrate(db);
      await db.withWriter(async (conn) => {
        // Parquet footers of immutable files are read once, not per query.
        await conn.run('SET parquet_metadata_cache = true');
        for (const t of VIEWED) {
          await conn.run(`ALTER TABLE ${t} RENAME TO ${t}_empty`);
          await conn.run(`CREATE VIEW ${t} AS SELECT * FROM ${t}_empty`);
        }
      });
      const storage = new ClusterStorage(db, pool, opts);
      await storage.refresh();
      if (opts.background !== false) {
        await storage.listen();
        storage.startTimers();
      }
      return storage;
    } catch (err) {
      await db?.close();
      await pool.end().catch(() => undefined);
      if (isUnavailable(err))
        throw new Error(`cannot reach the catalogue database at ${redact(opts.catalogUrl)}: ${(err as Error).message}`);
      throw err;
    }
  }

  // ---- reads: the mirror -------------------------------------------------------------------

  /** Re-reads the catalogue when the data version moved; concurrent calls share one refresh. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          await this.refreshOnce();
        } while (this.again && !this.closed);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    const asked = Date.now();
    const snap = await this.readSnapshot(this.version);
    if (!snap) {
      this.confirmedAt = Math.max(this.confirmedAt, asked);
      return;
    }
    await this.db.transaction(async (conn) => {
      const orm = this.db.ormOn(conn);
      for (const [name] of [...CATALOGUE].reverse()) await conn.run(`DELETE FROM ${name}`);
      for (const [name, table] of CATALOGUE) await insertBatches(orm as never, table, snap.rows.get(name)!);
      for (const t of FACT_TABLES) {
        const files = snap.files.filter((f) => f.tableName === t).map((f) => sqlString(this.lake.abs(f.path)));
        const cols = columnsOf(FACT_SCHEMA[t]).join(', ');
        if (t === LOADED) {
          await conn.run(`DELETE FROM ${t}`);
          if (files.length) await conn.run(`INSERT INTO ${t} SELECT ${cols} FROM read_parquet([${files.join(', ')}])`);
        } else {
          const source = files.length ? `read_parquet([${files.join(', ')}])` : `${t}_empty`;
          await conn.run(`CREATE OR REPLACE VIEW ${t} AS SELECT ${cols} FROM ${source}`);
        }
      }
    });
    this.snapshot = snap;
    this.version = snap.version;
    this.confirmedAt = Math.max(this.confirmedAt, asked);
    this.db.noteChange();
  }

  /** The catalogue as of one PostgreSQL snapshot; undefined when its version is `known`. */
  private async readSnapshot(known: number): Promise<Snapshot | undefined> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const orm = drizzle(client);
        const version = await readVersion(orm);
        if (version === known) return undefined;
        const rows = new Map<string, Record<string, unknown>[]>();
        for (const [name, table] of CATALOGUE) rows.set(name, (await orm.select().from(table)) as Record<string, unknown>[]);
        const files = await orm
          .select({ path: schema.lakeFiles.path, tableName: schema.lakeFiles.tableName })
          .from(schema.lakeFiles)
          .where(isNull(schema.lakeFiles.retiredAt))
          .orderBy(schema.lakeFiles.datasetId, schema.lakeFiles.path);
        return { version, rows, files };
      } finally {
        await client.query('COMMIT').catch(() => undefined);
      }
    } finally {
      client.release();
    }
  }

  // ---- writes: the catalogue and the lake ---------------------------------------------------

  /** Runs fn on one catalogue connection inside a transaction, holding transaction lock `key`. */
  private async catalogueTransaction<T>(key: bigint, fn: (orm: Pg, client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        // Waiting behind a long ingest must not hold a connection for minutes.
        await client.query(`SET LOCAL lock_timeout = '${LOCK_WAIT_MS}ms'`);
        try {
          await client.query('SELECT pg_advisory_xact_lock($1)', [key.toString()]);
        } catch (err) {
          if ((err as { code?: string }).code === '55P03') {
            throw new ServiceUnavailableError('an upload is being written to the cluster just now; retry when it has finished');
          }
          throw err;
        }
        const out = await fn(drizzle(client), client);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      client.release();
    }
  }

  serializedKeys<T>(fn: (orm: ControlDb) => Promise<T>): Promise<T> {
    return this.catalogueTransaction(KEYS_LOCK, (orm) => fn(orm as unknown as ControlDb));
  }

  /**
   * Ingest in cluster mode. Under the cluster's ingest lock: bring the mirror up to date, copy
   * its catalogue into a scratch DuckDB file, and run the embedded ingest there (the same checks,
   * ids and aggregates). Just before that ingest would commit, its facts are written to the lake
   * and its catalogue rows published by one PostgreSQL transaction; the scratch file is then
   * thrown away. A failure anywhere before the PostgreSQL commit publishes nothing.
   */
  async ingest(dir: string, opts: StorageIngestOptions = {}): Promise<IngestResult> {
    this.assertAvailable();
    const progress = opts.progress ?? (() => undefined);
    const lock = await this.pool.connect();
    let locked = false;
    try {
      const [got] = (await lock.query('SELECT pg_try_advisory_lock($1) AS got', [INGEST_LOCK.toString()])).rows as { got: boolean }[];
      if (!got?.got) {
        progress('waiting for an ingest on another replica to finish');
        await lock.query('SELECT pg_advisory_lock($1)', [INGEST_LOCK.toString()]);
      }
      locked = true;
      await this.sweepLocked(lock, false);
      await this.refresh();
      const snap = this.snapshot!;
      const file = path.join(os.tmpdir(), `driftql-ingest-${crypto.randomUUID()}.duckdb`);
      const scratch = await DriftDb.open(file, { readConnections: 1, memoryLimit: this.opts.memoryLimit, threads: this.opts.threads });
      try {
        await migrate(scratch);
        await scratch.transaction(async (conn) => {
          const orm = scratch.ormOn(conn);
          for (const [name, table] of CATALOGUE) await insertBatches(orm as never, table, snap.rows.get(name)!);
        });
        const result = await ingestBundle(scratch, dir, {
          replace: opts.replace,
          dryRun: opts.dryRun,
          progress,
          beforeCommit: async (conn, outcome) => {
            await opts.onCommit?.(outcome);
            progress('writing the dataset to the lake');
            await this.publish(lock, conn, outcome.datasetId, opts.jobId ? { jobId: opts.jobId, result: outcome } : undefined);
          },
        });
        if (result.status === 'ingested' || result.status === 'replaced') await this.catchUp();
        return result;
      } finally {
        await scratch.close();
        for (const f of [file, `${file}.wal`]) fs.rmSync(f, { force: true });
      }
    } finally {
      // Closed rather than returned to the pool: were the unlock to fail on a live connection,
      // the pool would hand out a connection still holding the cluster's ingest lock.
      if (locked) await lock.query('SELECT pg_advisory_unlock($1)', [INGEST_LOCK.toString()]).catch(() => undefined);
      lock.release(true);
    }
  }

  /**
   * Publishes dataset `datasetId` as `source` holds it (catalogue rows and facts): writes its
   * lake files, then adds its catalogue rows, lists its files and bumps the data version in one
   * transaction on `client` (which holds the ingest lock). A dataset of the same lab, name and
   * version already published is replaced: its rows go and its files are retired.
   */
  async publish(
    client: pg.PoolClient,
    source: DuckDBConnection,
    datasetId: number,
    job?: { jobId: string; result: IngestResult },
  ): Promise<void> {
    const from = this.db.ormOn(source);
    const [dataset] = await from.select().from(schema.datasets).where(eq(schema.datasets.id, datasetId));
    if (!dataset) throw new Error(`dataset ${datasetId} is not in the ingest's database`);
    const [lab] = await from.select().from(schema.labs).where(eq(schema.labs.id, dataset.labId));
    const runRows = await from.select().from(schema.runs).where(eq(schema.runs.datasetId, datasetId));
    const stageRows = await from
      .select()
      .from(schema.stages)
      .where(sql`${schema.stages.runId} IN (SELECT id FROM runs WHERE dataset_id = ${datasetId})`);
    const promptRows = await from.select().from(schema.prompts).where(eq(schema.prompts.datasetId, datasetId));
    const topicRows = await from
      .select()
      .from(schema.topics)
      .where(sql`${schema.topics.id} IN (SELECT topic_id FROM prompts WHERE dataset_id = ${datasetId})`);
    const files = await this.lake.write(source, datasetId);
    const now = new Date();
    let committing = false;
    try {
      await client.query('BEGIN');
      try {
        const orm = drizzle(client);
        const [previous] = await orm
          .select({ id: schema.datasets.id })
          .from(schema.datasets)
          .innerJoin(schema.labs, eq(schema.labs.id, schema.datasets.labId))
          .where(
            and(eq(schema.labs.name, lab!.name), eq(schema.datasets.name, dataset.name), eq(schema.datasets.version, dataset.version)),
          );
        if (previous) await deleteCatalogueRows(orm, previous.id, now);
        await orm.insert(schema.labs).values(lab!).onConflictDoNothing();
        for (let i = 0; i < topicRows.length; i += BATCH)
          await orm
            .insert(schema.topics)
            .values(topicRows.slice(i, i + BATCH))
            .onConflictDoNothing();
        await orm.insert(schema.datasets).values(dataset);
        await insertBatches(orm as never, schema.runs, runRows);
        await insertBatches(orm as never, schema.stages, stageRows);
        await insertBatches(orm as never, schema.prompts, promptRows);
        await orm
          .insert(schema.lakeFiles)
          .values(
            files.map((f: LakeFile) => ({ path: f.path, datasetId, tableName: f.table, rows: f.rows, bytes: f.bytes, publishedAt: now })),
          );
        if (job) await orm.insert(schema.ingestOutcomes).values({ jobId: job.jobId, result: job.result, committedAt: now });
        await bumpAndNotify(client);
        committing = true;
        await client.query('COMMIT');
      } catch (err) {
        if (!committing) await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } catch (err) {
      // Not published: nothing lists these files. Once COMMIT was sent its outcome is unknown
      // (the connection may have dropped after PostgreSQL committed), so the files stay and the
      // sweep, which reads lake_files under the lock, decides. (Were the process to die here,
      // the next sweep would remove unlisted files too.)
      if (!committing) this.lake.discard(files);
      throw err;
    }
  }

  /**
   * Moves an embedded database into this (empty) cluster: every dataset version with its ids
   * (so saved `Run.id`s keep working), its facts as lake files, and the API keys. Ingest job
   * history stays behind. Refuses a catalogue that already holds datasets or keys.
   */
  async importEmbedded(source: DriftDb, progress: (m: string) => void = () => undefined): Promise<{ datasets: number; keys: number }> {
    const lock = await this.pool.connect();
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [INGEST_LOCK.toString()]);
      try {
        const orm = drizzle(lock);
        const [{ n: present } = { n: 0 }] = await orm.select({ n: sql<number>`count(*)::int` }).from(schema.datasets);
        const [{ n: keys } = { n: 0 }] = await orm.select({ n: sql<number>`count(*)::int` }).from(schema.apiKeys);
        if (present > 0 || keys > 0) {
          throw new Error(`the cluster catalogue already holds ${present} dataset(s) and ${keys} key(s); migrate into an empty catalogue`);
        }
        const from = source.orm;
        const list = await from.select().from(schema.datasets).orderBy(schema.datasets.id);
        await source.withReader(
          async (conn) => {
            for (const d of list) {
              progress(
                `dataset ${d.id} (${d.name} v${d.version}): writing ${d.observationCount.toLocaleString('en-US')} observations to the lake`,
              );
              await this.publish(lock, conn, d.id);
            }
          },
          { timeLimit: false },
        );
        const keyRows = await from.select().from(schema.apiKeys).orderBy(schema.apiKeys.id);
        await insertBatches(orm as never, schema.apiKeys, keyRows);
        await this.refresh();
        return { datasets: list.length, keys: keyRows.length };
      } finally {
        await lock.query('SELECT pg_advisory_unlock($1)', [INGEST_LOCK.toString()]).catch(() => undefined);
      }
    } finally {
      lock.release(true);
    }
  }

  async deleteDataset(id: number): Promise<void> {
    this.assertAvailable();
    await this.catalogueTransaction(INGEST_LOCK, async (orm, client) => {
      await deleteCatalogueRows(orm, id, new Date());
      await bumpAndNotify(client);
    });
    await this.catchUp();
  }

  async setVisibility(id: number, visibility: Visibility): Promise<void> {
    this.assertAvailable();
    await this.catalogueTransaction(INGEST_LOCK, async (orm, client) => {
      await orm.update(schema.datasets).set({ visibility }).where(eq(schema.datasets.id, id));
      await bumpAndNotify(client);
    });
    await this.catchUp();
  }

  /**
   * Refreshes after a change this replica committed, so that it serves its own change at once;
   * a failure is left to the poll (the change itself is committed and must not be reported as
   * failed).
   */
  private async catchUp(): Promise<void> {
    await this.refresh().catch((err: unknown) => console.error(`[driftql] refresh after a change failed: ${(err as Error).message}`));
  }

  async dataVersion(): Promise<number> {
    return Math.max(this.version, 0);
  }

  async isEmpty(): Promise<boolean> {
    const [row] = await this.pg.select({ n: sql<number>`count(*)::int` }).from(schema.datasets);
    return Number(row?.n ?? 0) === 0;
  }

  // ---- liveness, availability, maintenance -------------------------------------------------

  /**
   * An owner is orphaned when its liveness lock has been free on two checks at least
   * ORPHAN_CONFIRM_MS apart: a replica whose catalogue connection blinked (a PostgreSQL restart)
   * takes its lock again within that time.
   */
  async isOrphaned(owner: string | null): Promise<boolean> {
    if (owner === null) return true;
    if (owner === this.owner) return false;
    const client = await this.pool.connect();
    let got = false;
    try {
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got', [LIVENESS_SPACE, owner]);
      got = Boolean((rows[0] as { got: boolean } | undefined)?.got);
      if (got) await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LIVENESS_SPACE, owner]);
    } finally {
      client.release(got);
    }
    if (!got) {
      this.suspects.delete(owner);
      return false;
    }
    const first = this.suspects.get(owner) ?? Date.now();
    this.suspects.set(owner, first);
    return Date.now() - first >= ORPHAN_CONFIRM_MS;
  }

  /**
   * Unavailable while the catalogue cannot be reached or the mirror has not been confirmed
   * current for a while: a replica must not answer from a copy that may lack a deletion or a
   * change of visibility.
   */
  assertAvailable(): void {
    if (this.closed) throw new ServiceUnavailableError('this replica is shutting down; retry (another replica will answer)');
    if (this.opts.background === false) return;
    const stale = Date.now() - this.confirmedAt > Math.max(3 * (this.opts.pollMs ?? 1000), 3000);
    if (!this.listening || !this.polledOk || stale) throw new ServiceUnavailableError();
  }

  onMaintenance(fn: () => Promise<void>): void {
    this.maintenance.push(fn);
  }

  /** Keeps a connection that LISTENs for data changes and holds this replica's liveness lock. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.catalogUrl, connectionTimeoutMillis: 3000 });
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.listening = false;
      client.end().catch(() => undefined);
      if (!this.closed) setTimeout(() => void this.reconnect(), 250).unref();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => void this.refresh().catch(() => undefined));
    try {
      await client.connect();
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LIVENESS_SPACE, this.owner]);
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.listening = true;
    // Changes made while no one listened (a failure is the poll's to retry).
    await this.refresh().catch(() => undefined);
  }

  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    try {
      for (let wait = 250; !this.closed && !this.listening; wait = Math.min(wait * 2, 2000)) {
        try {
          await this.listen();
          console.log('[driftql] catalogue connection restored');
          return;
        } catch {
          await new Promise((r) => setTimeout(r, wait).unref());
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private startTimers(): void {
    const poll = setInterval(() => void this.poll(), this.opts.pollMs ?? 1000);
    const maintain = setInterval(() => void this.maintain(), this.opts.maintenanceMs ?? 5000);
    poll.unref();
    maintain.unref();
    this.timers.push(poll, maintain);
  }

  private async poll(): Promise<void> {
    try {
      // On the listening connection: a pool full of waiting writers must not look like an outage.
      if (!this.listener) throw new ServiceUnavailableError();
      const asked = Date.now();
      const version = await readVersion(drizzle(this.listener));
      if (version !== this.version) await this.refresh();
      else this.confirmedAt = Math.max(this.confirmedAt, asked);
      this.polledOk = true;
      this.refreshFailure = undefined;
    } catch (err) {
      // Unavailable until the catalogue answers and the lake's files can be read again.
      this.polledOk = false;
      const message = (err as Error).message;
      if (!isUnavailable(err) && message !== this.refreshFailure) {
        this.refreshFailure = message;
        console.error(`[driftql] cannot bring this replica up to date (answering SERVICE_UNAVAILABLE meanwhile): ${message}`);
      }
    }
  }

  private async maintain(): Promise<void> {
    if (this.maintaining || this.closed || !this.listening) return;
    this.maintaining = true;
    try {
      for (const fn of this.maintenance) await fn();
      const client = await this.pool.connect();
      let got = false;
      try {
        const { rows } = await client.query('SELECT pg_try_advisory_lock($1) AS got', [INGEST_LOCK.toString()]);
        got = Boolean((rows[0] as { got: boolean } | undefined)?.got);
        if (got) {
          try {
            await this.sweepLocked(client, true);
          } finally {
            await client.query('SELECT pg_advisory_unlock($1)', [INGEST_LOCK.toString()]);
          }
        }
      } finally {
        // A connection that held the session lock is closed, never handed out again.
        client.release(got);
      }
    } catch (err) {
      if (!isUnavailable(err)) console.error('[driftql] cluster maintenance failed', err);
    } finally {
      this.maintaining = false;
    }
  }

  /**
   * The sweep (see lake.ts), on a connection that holds the ingest lock: removes unlisted and
   * temporary files, and, with `retired`, files retired longer ago than the grace period.
   */
  private async sweepLocked(client: pg.PoolClient, retired: boolean): Promise<void> {
    const orm = drizzle(client);
    if (retired) {
      const before = new Date(Date.now() - (this.opts.retireGraceMs ?? 60_000));
      const old = await orm
        .delete(schema.lakeFiles)
        .where(lt(schema.lakeFiles.retiredAt, before))
        .returning({ path: schema.lakeFiles.path });
      this.lake.discard(old);
    }
    const listed = await orm.select({ path: schema.lakeFiles.path }).from(schema.lakeFiles);
    const removed = this.lake.sweepUnlisted(new Set(listed.map((r) => r.path)));
    // Scratch databases of ingests that died on this machine (none runs while the lock is held).
    for (const name of fs.readdirSync(os.tmpdir())) {
      if (/^driftql-ingest-[0-9a-f-]{36}\.duckdb(\.wal)?$/.test(name)) fs.rmSync(path.join(os.tmpdir(), name), { force: true });
    }
    if (removed > 0) console.log(`[driftql] lake sweep: removed ${removed} unpublished file(s)`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.refreshing?.catch(() => undefined);
    const listener = this.listener;
    this.listener = undefined;
    this.listening = false;
    await listener?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
    await this.db.close();
  }
}

async function readVersion(orm: Pg): Promise<number> {
  const [row] = await orm.select({ value: schema.meta.value }).from(schema.meta).where(eq(schema.meta.key, 'data_version'));
  return row ? Number(row.value) : 0;
}

async function bumpAndNotify(client: pg.PoolClient): Promise<void> {
  const { rows } = await client.query(
    `INSERT INTO meta VALUES ('data_version', '1')
     ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text RETURNING value`,
  );
  await client.query('SELECT pg_notify($1, $2)', [CHANNEL, String((rows[0] as { value: string }).value)]);
}

/** Removes a dataset version's catalogue rows and retires its lake files (inside a transaction). */
async function deleteCatalogueRows(orm: Pg, datasetId: number, now: Date): Promise<void> {
  await orm.delete(schema.stages).where(sql`${schema.stages.runId} IN (SELECT id FROM runs WHERE dataset_id = ${datasetId})`);
  await orm.delete(schema.runs).where(eq(schema.runs.datasetId, datasetId));
  await orm.delete(schema.prompts).where(eq(schema.prompts.datasetId, datasetId));
  await orm.delete(schema.datasets).where(eq(schema.datasets.id, datasetId));
  await orm
    .update(schema.lakeFiles)
    .set({ retiredAt: now })
    .where(and(eq(schema.lakeFiles.datasetId, datasetId), isNull(schema.lakeFiles.retiredAt)));
}

/** Applies migrations/ to the catalogue; replicas starting together take turns. */
async function migrateCatalogue(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK.toString()]);
    try {
      await migratePg(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK.toString()]);
    }
  } finally {
    client.release();
  }
}

/** A connection URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@').replace(/([?&]password=)[^&]*/i, '$1***');
}
