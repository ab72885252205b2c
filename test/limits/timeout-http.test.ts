/**
 * A read past the statement time limit, over HTTP against a real server: the client gets
 * QUERY_TIMEOUT with a message saying what to change (no SQL, no stack), and the same server
 * answers the next query normally. To make a statement slow for certain, the test puts a view
 * that scans a huge range in place of the checkpoint values table, and puts the table back after.
 */
import path from 'node:path';
import { startServer, type TestServer } from '../helpers/server';
import { tempDir } from '../helpers/tmp';

const grouped = (gridPoints: number) => `{ groupedTrajectories(groupBy: [MODEL], gridPoints: ${gridPoints}) { label } }`;

describe('statement time limit over HTTP', () => {
  const dir = tempDir();
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer(path.join(dir, 'fx.duckdb'));
    // The run catalogue loads on first use; load it before the table is swapped.
    const warm = await s.gql(grouped(10));
    expect(warm.errors).toBeUndefined();
  });
  afterAll(() => s.close());

  it('answers QUERY_TIMEOUT, then the next query normally', async () => {
    await s.db.withWriter(async (c) => {
      await c.run('ALTER TABLE checkpoint_values RENAME TO checkpoint_values_kept');
      // Ten billion rows to filter: seconds of work on any machine, so the 300 ms limit always
      // fires first (a hundred million could finish within it on a fast, idle machine).
      await c.run('CREATE VIEW checkpoint_values AS SELECT k.* FROM checkpoint_values_kept k, range(10000000000) r WHERE r.range < 0');
    });
    s.db.setQueryTimeout(300);
    const started = Date.now();
    let slow;
    try {
      slow = await s.gql(grouped(11));
    } finally {
      s.db.setQueryTimeout(0);
      await s.db.withWriter(async (c) => {
        await c.run('DROP VIEW checkpoint_values');
        await c.run('ALTER TABLE checkpoint_values_kept RENAME TO checkpoint_values');
      });
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(slow.data ?? null).toBeNull();
    expect(slow.errors).toHaveLength(1);
    const [err] = slow.errors!;
    expect(err!.extensions!.code).toBe('QUERY_TIMEOUT');
    expect(err!.message).toMatch(/took longer than 300 ms and was stopped; narrow the selection/);
    expect(JSON.stringify(slow)).not.toMatch(/SELECT |FROM |checkpoint_values|stacktrace|Interrupted/);

    const after = await s.gql<{ groupedTrajectories: { label: string }[] }>(grouped(11));
    expect(after.errors).toBeUndefined();
    expect(after.data!.groupedTrajectories.length).toBeGreaterThan(0);
  });
});
