import type { DuckDBConnection } from '@duckdb/node-api';
import type { DriftDb } from './client';

/**
 * A persistent counter bumped by every ingest, reported by /healthz so operators can see that
 * data changed. In-process caches key on DriftDb.changeCount instead, which needs no query.
 */
export async function bumpDataVersion(conn: DuckDBConnection): Promise<void> {
  await conn.run(
    `INSERT INTO meta VALUES ('data_version', '1')
     ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS VARCHAR)`,
  );
}

export async function dataVersion(db: DriftDb): Promise<number> {
  const rows = await db.query(`SELECT value FROM meta WHERE key = 'data_version'`);
  return rows[0] ? Number(rows[0].value) : 0;
}
