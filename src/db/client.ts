/**
 * The only module that opens DuckDB. One instance per database file per process, a small pool of
 * read connections and one write connection. DuckDB runs one query at a time per connection, and
 * every running query holds a libuv worker thread: keep UV_THREADPOOL_SIZE above the pool size.
 */
import { type DuckDBConnection, DuckDBInstance, listValue, type DuckDBValue } from '@duckdb/node-api';
import { drizzle, type PgRemoteDatabase } from 'drizzle-orm/pg-proxy';
import fs from 'node:fs';
import path from 'node:path';
import { QueryTimeoutError } from '../errors';

export type Param = string | number | boolean | null | bigint | readonly (string | number)[];
export type Row = Record<string, unknown>;

export interface OpenOptions {
  /** Read connections in the pool (default 4). */
  readConnections?: number;
  /** DuckDB memory_limit, e.g. '2GB'. */
  memoryLimit?: string;
  /** DuckDB threads per query. */
  threads?: number;
  /**
   * Open with access_mode READ_ONLY: nothing can be written, and the file must exist. DuckDB
   * allows this only while no other process has the file open for writing.
   */
  readOnly?: boolean;
  /**
   * Time limit of each read statement in ms (0 or absent: none). A statement past it is
   * interrupted and fails with QueryTimeoutError; the connection goes back to the pool. Writes
   * (ingest, migrations, keys) have no limit.
   */
  queryTimeoutMs?: number;
}

const openFiles = new Set<string>();

function toDuckParams(params: readonly Param[]): DuckDBValue[] {
  return params.map((p) => (Array.isArray(p) ? listValue(p as (string | number)[]) : (p as DuckDBValue)));
}

/**
 * BIGINT comes back as bigint, which JSON cannot carry; counts here always fit a double.
 * Timestamps (UTC) are given in Postgres' text form, which is what drizzle's pg-core columns parse.
 */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', '');
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/**
 * Rows as plain objects. The result is read one DuckDB chunk (2,048 rows) at a time, each fetch a
 * turn of the event loop, so converting a large result never blocks other requests for long.
 */
export async function queryOn(conn: DuckDBConnection, sqlText: string, params: readonly Param[] = []): Promise<Row[]> {
  const result = await conn.stream(sqlText, params.length ? toDuckParams(params) : undefined);
  const rows: Row[] = [];
  for await (const chunk of result.yieldRowObjectJs()) {
    for (const row of chunk) {
      for (const k in row) row[k] = plain(row[k]) as never;
      rows.push(row as Row);
    }
  }
  return rows;
}

async function queryArraysOn(conn: DuckDBConnection, sqlText: string, params: readonly Param[]): Promise<unknown[][]> {
  const reader = await conn.runAndReadAll(sqlText, params.length ? toDuckParams(params) : undefined);
  return reader.getRowsJS().map((r) => r.map(plain));
}

/** Binds drizzle's pg-proxy driver to a connection source. */
function drizzleFor(acquire: <T>(fn: (c: DuckDBConnection) => Promise<T>) => Promise<T>): PgRemoteDatabase {
  return drizzle(async (sqlText, params, method) =>
    acquire(async (conn) => ({
      rows: method === 'all' ? await queryArraysOn(conn, sqlText, params) : await queryOn(conn, sqlText, params),
    })),
  );
}

export class DriftDb {
  /** drizzle over the read pool, for catalogue queries. */
  readonly orm: PgRemoteDatabase;
  private readonly idle: DuckDBConnection[];
  private readonly waiters: ((c: DuckDBConnection) => void)[] = [];
  private writeChain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private changes = 0;
  private queryTimeoutMs = 0;

  private constructor(
    readonly file: string,
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly readers: DuckDBConnection[],
  ) {
    this.idle = [...readers];
    this.orm = drizzleFor((fn) => this.withReader(fn));
  }

  static async open(file: string, opts: OpenOptions = {}): Promise<DriftDb> {
    const resolved = file === ':memory:' ? file : path.resolve(file);
    // Every ':memory:' open is a database of its own.
    const memory = resolved === ':memory:';
    if (!memory && openFiles.has(resolved)) throw new Error(`database ${resolved} is already open in this process`);
    if (resolved !== ':memory:' && !opts.readOnly) fs.mkdirSync(path.dirname(resolved), { recursive: true });
    const config: Record<string, string> = {};
    if (opts.readOnly) config.access_mode = 'READ_ONLY';
    if (opts.memoryLimit) config.memory_limit = opts.memoryLimit;
    if (opts.threads) config.threads = String(opts.threads);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(resolved, config);
    } catch (err) {
      const msg = (err as Error).message;
      if (/lock/i.test(msg)) {
        throw new Error(`cannot open ${resolved}: another process holds it (stop the server before ingesting, or use another --db)`);
      }
      throw err;
    }
    if (!memory) openFiles.add(resolved);
    const writer = await instance.connect();
    const readers: DuckDBConnection[] = [];
    for (let i = 0; i < Math.max(1, opts.readConnections ?? 4); i++) readers.push(await instance.connect());
    const db = new DriftDb(resolved, instance, writer, readers);
    db.setQueryTimeout(opts.queryTimeoutMs ?? 0);
    return db;
  }

  /** Sets the time limit of each read statement in ms; 0 removes it. See `OpenOptions.queryTimeoutMs`. */
  setQueryTimeout(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`query timeout must be 0 or a positive number of ms, not ${ms}`);
    this.queryTimeoutMs = ms;
  }

  /**
   * Counts committed data changes made through this instance. A DuckDB file has one writer
   * process, so while this process holds the file nothing else can change it: caches keyed on
   * this counter are exact.
   */
  get changeCount(): number {
    return this.changes;
  }

  noteChange(): void {
    this.changes++;
  }

  /**
   * Runs fn with a pooled read connection; waits when all are busy. fn (one statement, as
   * `query` and `orm` run it) is interrupted when it runs past the query timeout, and then fails
   * with QueryTimeoutError; the time spent waiting for a connection does not count. A bulk
   * export, whose size the caller chose, passes `{ timeLimit: false }`.
   */
  async withReader<T>(fn: (c: DuckDBConnection) => Promise<T>, opts: { timeLimit?: boolean } = {}): Promise<T> {
    if (this.closed) throw new Error('database is closed');
    const conn = this.idle.pop() ?? (await new Promise<DuckDBConnection>((resolve) => this.waiters.push(resolve)));
    const limit = opts.timeLimit === false ? 0 : this.queryTimeoutMs;
    let timedOut = false;
    const timer =
      limit > 0
        ? setTimeout(() => {
            timedOut = true;
            // Stops the running statement; DuckDB resets the flag when the next one starts, so an
            // interrupt that lands just after the statement finished does no harm.
            conn.interrupt();
          }, limit)
        : undefined;
    try {
      return await fn(conn);
    } catch (err) {
      if (timedOut) throw new QueryTimeoutError(limit);
      throw err;
    } finally {
      clearTimeout(timer);
      const next = this.waiters.shift();
      if (next) next(conn);
      else this.idle.push(conn);
    }
  }

  query(sqlText: string, params: readonly Param[] = []): Promise<Row[]> {
    return this.withReader((c) => queryOn(c, sqlText, params));
  }

  /** Serialises fn on the single write connection. */
  withWriter<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    const run = this.writeChain.then(() => fn(this.writer));
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  /** BEGIN ... COMMIT on the write connection; ROLLBACK on any error, then rethrow. */
  transaction<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.withWriter(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const out = await fn(c);
        await c.run('COMMIT');
        return out;
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** drizzle bound to one connection (e.g. inside a transaction). */
  ormOn(conn: DuckDBConnection): PgRemoteDatabase {
    return drizzleFor((fn) => fn(conn));
  }

  /** Closes connections, then the instance (the file lock is held until the instance closes). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.writeChain;
    this.closed = true;
    for (const c of [...this.readers, this.writer]) c.closeSync();
    this.instance.closeSync();
    openFiles.delete(this.file);
  }
}
