/**
 * The catalogue schema runs on PostgreSQL as well as on DuckDB: drizzle's node-postgres migrator
 * applies the same migrations/ folder to a real PostgreSQL 15, and the tables and columns it
 * makes are the ones DuckDB gets from driftql's own migrator.
 */
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator';
import { Pool } from 'pg';
import { DriftDb } from '../../src/db/client';
import { migrate } from '../../src/db/migrate';
import { MIGRATIONS_DIR } from '../../src/paths';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { tempDir } from '../helpers/tmp';

const dir = tempDir();
let postgres: TestPostgres | undefined;
let pool: Pool | undefined;

beforeAll(async () => {
  postgres = startPostgres();
  pool = new Pool({ connectionString: postgres.url });
}, 60_000);
afterAll(async () => {
  await pool?.end();
  postgres?.stop();
});

/** table -> its columns, sorted, from information_schema (both engines have it). */
function shape(rows: Record<string, unknown>[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[String(r.table_name)] ??= []).push(String(r.column_name));
  for (const cols of Object.values(out)) cols.sort();
  return out;
}

it('applies migrations/ to PostgreSQL, giving the tables and columns DuckDB has', async () => {
  await migratePostgres(drizzle(pool!), { migrationsFolder: MIGRATIONS_DIR });
  const onPostgres = shape(
    (
      await pool!.query<{ table_name: string; column_name: string }>(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'",
      )
    ).rows,
  );

  const duck = await DriftDb.open(path.join(dir, 'shape.duckdb'));
  try {
    await migrate(duck);
    const onDuckDb = shape(
      await duck.query(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name <> 'driftql_migrations'",
      ),
    );
    expect(Object.keys(onDuckDb).length).toBeGreaterThan(10);
    expect(onPostgres).toEqual(onDuckDb);
  } finally {
    await duck.close();
  }
  // Applying them again does nothing.
  await migratePostgres(drizzle(pool!), { migrationsFolder: MIGRATIONS_DIR });
});
