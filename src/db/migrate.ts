/**
 * Applies drizzle-kit's migrations to DuckDB. drizzle's stock migrators assume Postgres (SERIAL
 * bookkeeping tables), so this one records applied hashes in its own table and runs each
 * migration in a transaction. DDL that DuckDB cannot run is refused by name before anything runs.
 */
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { MIGRATIONS_DIR } from '../paths';
import { queryOn, type DriftDb } from './client';

const UNSUPPORTED: [RegExp, string][] = [
  [/\bUSING\s+btree\b/i, 'index methods (USING btree)'],
  [/"public"\./, 'the "public". schema prefix'],
  [/\bjsonb\b/i, 'jsonb (use json)'],
  [/\b(big|small)?serial\b/i, 'serial columns (assign ids or use a sequence)'],
  [/\bGENERATED\s+(ALWAYS|BY DEFAULT)\s+AS\s+IDENTITY\b/i, 'identity columns'],
  [/\bON DELETE CASCADE\b/i, 'ON DELETE CASCADE'],
  [/ALTER TABLE[^;]*ADD CONSTRAINT[^;]*FOREIGN KEY/i, 'foreign keys added by ALTER TABLE'],
];

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
}

export function checkDuckDbCompatible(tag: string, statements: string[]): void {
  statements.forEach((stmt, i) => {
    for (const [re, what] of UNSUPPORTED) {
      if (re.test(stmt)) {
        throw new Error(`migration ${tag}, statement ${i + 1}: DuckDB cannot run ${what}; change src/db/schema.ts and regenerate`);
      }
    }
  });
}

export async function migrate(db: DriftDb, folder = MIGRATIONS_DIR): Promise<MigrationReport> {
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  return db.withWriter(async (conn) => {
    await conn.run(
      'CREATE TABLE IF NOT EXISTS driftql_migrations (hash TEXT PRIMARY KEY, created_at BIGINT NOT NULL, applied_at TIMESTAMP NOT NULL)',
    );
    const done = new Set((await queryOn(conn, 'SELECT hash FROM driftql_migrations')).map((r) => String(r.hash)));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.hash)) continue;
      const tag = `${m.folderMillis}`;
      const statements = m.sql.map((s) => s.trim()).filter((s) => s.length > 0);
      checkDuckDbCompatible(tag, statements);
      await conn.run('BEGIN TRANSACTION');
      try {
        for (const stmt of statements) await conn.run(stmt);
        await conn.run('INSERT INTO driftql_migrations VALUES ($1, $2, now())', [m.hash, m.folderMillis]);
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${tag} failed: ${(err as Error).message}`);
      }
      applied.push(m.hash);
    }
    return { applied, alreadyApplied: migrations.length - applied.length };
  });
}
