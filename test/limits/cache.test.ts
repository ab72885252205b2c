/**
 * The result cache is bounded by the estimated bytes of what it holds, over results computed by
 * a real DuckDB: filling it with many distinct requests never takes it over its budget, the
 * least recently used go first, a result larger than the budget is returned but not kept, and
 * identical concurrent requests share one computation.
 */
import path from 'node:path';
import { DriftDb, type Row } from '../../src/db/client';
import { estimateBytes, ResultCache } from '../../src/services/cache';
import { tempDir } from '../helpers/tmp';

describe('result cache bounded by bytes', () => {
  const dir = tempDir();
  let db: DriftDb;
  let computed = 0;

  beforeAll(async () => {
    db = await DriftDb.open(path.join(dir, 'cache.duckdb'), { readConnections: 2 });
  });
  afterAll(async () => {
    await db?.close();
  });

  /** n rows of a trajectory-like shape, computed by DuckDB. */
  const rowsOf = (n: number, salt = 0): Promise<Row[]> => {
    computed++;
    return db.query('SELECT range AS step, range * 0.5 + $2 AS mean, $2::VARCHAR AS run FROM range($1)', [n, salt]);
  };

  it('estimates sizes in proportion to the result', async () => {
    const small = await rowsOf(10);
    const large = await rowsOf(1000);
    const ratio = async (r: Row[]) => (await estimateBytes(r)) / JSON.stringify(r).length;
    for (const r of [small, large]) {
      expect(await ratio(r)).toBeGreaterThan(0.5);
      expect(await ratio(r)).toBeLessThan(8);
    }
    expect(await estimateBytes(large)).toBeGreaterThan(50 * (await estimateBytes(small)));
  });

  it('sizes a long array from a sample, within a few percent of summing every item', async () => {
    // Rows alike in shape, with strings of varying length, as answers are.
    const rows = Array.from({ length: 20_000 }, (_, i) => ({
      run: `run-${i % 37}`,
      topic: 'x'.repeat(5 + (i % 11)),
      step: i,
      value: i / 7,
    }));
    let sum = 0;
    for (const r of rows) sum += await estimateBytes(r);
    const whole = await estimateBytes(rows);
    // The array's own header and slots, 8 bytes each, plus its items.
    const exact = 4 * 8 + 8 * rows.length + sum;
    expect(Math.abs(whole - exact) / exact).toBeLessThan(0.03);
  });

  it('keeps the total under the budget while filling, evicting the least recently used', async () => {
    const budget = 64 * 1024;
    const cache = new ResultCache({ maxBytes: budget }, () => db.changeCount);
    const sizes: number[] = [];
    for (let i = 0; i < 300; i++) {
      const n = 5 + (i % 40);
      const rows = await cache.get('rows', 'public', { i, n }, () => rowsOf(n, i));
      expect(rows).toHaveLength(n);
      expect(cache.bytes).toBeLessThanOrEqual(budget);
      sizes.push(cache.bytes);
    }
    expect(cache.size).toBeGreaterThan(5);
    expect(cache.size).toBeLessThan(300);
    expect(Math.max(...sizes)).toBeGreaterThan(budget / 2);

    // The latest request is still held; the first one was evicted and is computed again.
    const before = computed;
    await cache.get('rows', 'public', { i: 299, n: 5 + (299 % 40) }, () => rowsOf(5 + (299 % 40), 299));
    expect(computed).toBe(before);
    await cache.get('rows', 'public', { i: 0, n: 5 }, () => rowsOf(5, 0));
    expect(computed).toBe(before + 1);
    expect(cache.bytes).toBeLessThanOrEqual(budget);
  });

  it('a hit makes an entry recent, so it outlives entries used less recently', async () => {
    const cache = new ResultCache({ maxBytes: 32 * 1024 }, () => db.changeCount);
    const get = (i: number) => cache.get('rows', 'public', { i }, () => rowsOf(20, i));
    await get(0);
    for (let i = 1; i < 200; i++) {
      await get(i);
      await get(0); // keep 0 the most recently used
    }
    const before = computed;
    await get(0);
    expect(computed).toBe(before);
    await get(1);
    expect(computed).toBe(before + 1);
  });

  it('returns a result larger than the budget without keeping it', async () => {
    const cache = new ResultCache({ maxBytes: 16 * 1024 }, () => db.changeCount);
    await cache.get('rows', 'public', { small: true }, () => rowsOf(10));
    const { size, bytes } = cache;
    expect(size).toBe(1);
    const big = await cache.get('rows', 'public', { big: true }, () => rowsOf(5000));
    expect(big).toHaveLength(5000);
    expect(cache.size).toBe(size);
    expect(cache.bytes).toBe(bytes);
    const before = computed;
    await cache.get('rows', 'public', { big: true }, () => rowsOf(5000));
    expect(computed).toBe(before + 1);
  });

  it('shares one computation among identical concurrent requests, per visibility scope', async () => {
    const cache = new ResultCache({ maxBytes: 1024 * 1024 }, () => db.changeCount);
    const before = computed;
    const publicOnes = Array.from({ length: 20 }, () => cache.get('rows', 'public', { n: 100 }, () => rowsOf(100)));
    const labOnes = Array.from({ length: 20 }, () => cache.get('rows', 'lab:a', { n: 100 }, () => rowsOf(100, 1)));
    const results = await Promise.all([...publicOnes, ...labOnes]);
    expect(computed).toBe(before + 2);
    for (const r of results.slice(0, 20)) expect(r).toBe(results[0]);
    for (const r of results.slice(20)) expect(r).toBe(results[20]);
    expect(results[0]).not.toBe(results[20]);
  });

  it('does not keep failures, and drops entries of an older data version', async () => {
    let version = 1;
    const cache = new ResultCache({ maxBytes: 1024 * 1024 }, () => version);
    await expect(cache.get('rows', 'public', { bad: true }, () => db.query('SELECT * FROM no_such_table'))).rejects.toThrow();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    await cache.get('rows', 'public', { n: 10 }, () => rowsOf(10));
    expect(cache.size).toBe(1);
    version = 2;
    const before = computed;
    await cache.get('rows', 'public', { n: 10 }, () => rowsOf(10));
    expect(computed).toBe(before + 1);
    expect(cache.size).toBe(1);
  });

  it('is off at 0 bytes or 0 entries, and bounded by entries too', async () => {
    for (const limits of [{ maxBytes: 0 }, { maxBytes: 1024 * 1024, maxEntries: 0 }]) {
      const cache = new ResultCache(limits, () => db.changeCount);
      const before = computed;
      await cache.get('rows', 'public', { n: 3 }, () => rowsOf(3));
      await cache.get('rows', 'public', { n: 3 }, () => rowsOf(3));
      expect(computed).toBe(before + 2);
      expect(cache.size).toBe(0);
    }
    const few = new ResultCache({ maxBytes: 1024 * 1024, maxEntries: 3 }, () => db.changeCount);
    for (let i = 0; i < 10; i++) await few.get('rows', 'public', { i }, () => rowsOf(3, i));
    expect(few.size).toBe(3);
  });
});
