/**
 * Read statements have a time limit, on a real DuckDB file: a statement past it is interrupted
 * and fails with QUERY_TIMEOUT, and the connection it ran on goes back to the pool and answers
 * the next query. The write connection (ingest) has no limit.
 */
import path from 'node:path';
import { DriftDb, queryOn } from '../../src/db/client';
import { ErrorCode, QueryTimeoutError } from '../../src/errors';
import { tempDir } from '../helpers/tmp';

/** Minutes of work on this machine: a count over a cross join of 10^16 pairs. */
const ENDLESS = 'SELECT count(*) AS n FROM range(100000000) a, range(100000000) b WHERE a.range + b.range < 0';
/** Takes a good fraction of a second: 10^8 pairs. */
const SLOW = 'SELECT count(*) AS n FROM range(10000) a, range(10000) b WHERE a.range + b.range >= 0';

describe('statement time limit', () => {
  const dir = tempDir();
  let db: DriftDb;

  beforeAll(async () => {
    // One read connection, so the query after a timeout runs on the very connection interrupted.
    db = await DriftDb.open(path.join(dir, 'timeout.duckdb'), { readConnections: 1, queryTimeoutMs: 150 });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('interrupts a read past the limit with QUERY_TIMEOUT, and the pool keeps working', async () => {
    const started = Date.now();
    const err = await db.query(ENDLESS).then(
      () => null,
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(QueryTimeoutError);
    expect((err as QueryTimeoutError).code).toBe(ErrorCode.QUERY_TIMEOUT);
    expect((err as Error).message).toMatch(/took longer than 150 ms/);
    expect((err as Error).message).toMatch(/narrow the selection/);
    expect((err as Error).message).not.toMatch(/SELECT |FROM |range\(/);
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(10_000);

    expect(await db.query('SELECT 42 AS answer')).toEqual([{ answer: 42 }]);
  });

  it('a query waiting for the connection runs once the slow one is stopped', async () => {
    const slow = db.query(ENDLESS).catch((e: unknown) => e);
    const waiting = db.query('SELECT 7 AS n');
    expect(await slow).toBeInstanceOf(QueryTimeoutError);
    expect(await waiting).toEqual([{ n: 7 }]);
  });

  it('leaves other errors as they are', async () => {
    await expect(db.query('SELECT * FROM no_such_table')).rejects.not.toBeInstanceOf(QueryTimeoutError);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('does not limit the writer', async () => {
    const started = Date.now();
    const [row] = await db.withWriter((c) => queryOn(c, SLOW));
    expect(Date.now() - started).toBeGreaterThan(150);
    expect(row).toEqual({ n: 100_000_000 });
  });

  it('a limit of 0 means none', async () => {
    db.setQueryTimeout(0);
    try {
      const [row] = await db.query(SLOW);
      expect(row).toEqual({ n: 100_000_000 });
    } finally {
      db.setQueryTimeout(150);
    }
  });
});
